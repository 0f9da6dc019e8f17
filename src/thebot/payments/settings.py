"""Settings of the payments feature (collected into ``thebot.settings.SETTINGS``).

``check(settings)`` adds the feature's production rules to ``thebot.settings.check_settings``:
the sandbox provider is refused outside ``DEBUG``, YooKassa needs its shop id and key.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from thebot.settings.coercion import Setting as S
from thebot.settings.coercion import as_bool, as_int, as_list, as_optional_str

PROVIDERS = ("yookassa", "sandbox")
# YooKassa's published notification addresses (https://yookassa.ru/developers/using-api/webhooks).
YOOKASSA_IPS = [
    "185.71.76.0/27",
    "185.71.77.0/27",
    "77.75.153.0/25",
    "77.75.156.11",
    "77.75.156.35",
    "77.75.154.128/25",
    "2a02:5180::/32",
]


def as_provider(value: Any) -> str | None:
    text = as_optional_str(value)
    if text is None:
        return None
    if text.lower() not in PROVIDERS:
        raise ValueError(f"{value!r} is not one of {', '.join(PROVIDERS)}")
    return text.lower()


def as_networks(value: Any) -> list[str]:
    items = as_list(value)
    for item in items:
        ipaddress.ip_network(item, strict=False)  # ValueError names the bad entry
    return items


def as_currency(value: Any) -> str:
    text = str(value).strip().upper()
    if len(text) != 3 or not text.isalpha():
        raise ValueError(f"{value!r} is not an ISO 4217 currency code")
    return text


SETTINGS: tuple[S, ...] = (
    S(
        "payment_provider",
        "PAYMENT_PROVIDER",
        None,
        as_provider,
        "``yookassa`` or ``sandbox``; unset: ``sandbox`` with ``DEBUG``, payments off otherwise.",
        "not ``sandbox``",
    ),
    S("yookassa_shop_id", "YOOKASSA_SHOP_ID", None, as_optional_str, "YooKassa shop id."),
    S(
        "yookassa_secret_key",
        "YOOKASSA_SECRET_KEY",
        None,
        as_optional_str,
        "YooKassa secret key (HTTP Basic password of the API).",
        "set when the provider is ``yookassa``",
    ),
    S(
        "yookassa_api_url",
        "YOOKASSA_API_URL",
        "https://api.yookassa.ru/v3",
        str,
        "YooKassa API base URL (an operator may point it at a proxy).",
    ),
    S(
        "yookassa_webhook_ips",
        "YOOKASSA_WEBHOOK_IPS",
        YOOKASSA_IPS,
        as_networks,
        "Addresses/CIDRs webhooks are accepted from (the client address as resolved through "
        "``TRUSTED_PROXIES``); default: YooKassa's published list.",
    ),
    S("yookassa_timeout", "YOOKASSA_TIMEOUT", 10.0, float, "YooKassa API timeout, seconds."),
    S(
        "yookassa_retries",
        "YOOKASSA_RETRIES",
        3,
        as_int,
        "Attempts of a YooKassa call on network errors and 5xx answers (never on 4xx).",
    ),
    S(
        "yookassa_backoff",
        "YOOKASSA_BACKOFF",
        0.5,
        float,
        "Seconds before the first retry of a failed YooKassa call (doubled each time).",
    ),
    S("payment_currency", "PAYMENT_CURRENCY", "RUB", as_currency, "Currency of prices."),
    S(
        "payment_return_url",
        "PAYMENT_RETURN_URL",
        None,
        as_optional_str,
        "Where the payer's browser returns after paying; unset: the app's own URL.",
    ),
    S(
        "payment_pending_minutes",
        "PAYMENT_PENDING_MINUTES",
        15,
        as_int,
        "Minutes after which a pending payment is asked for at the provider (missed webhooks).",
    ),
    S(
        "payments_students_see_amounts",
        "PAYMENTS_STUDENTS_SEE_AMOUNTS",
        False,
        as_bool,
        "Students see the amounts of their invoices (otherwise amounts are hidden from them).",
    ),
    S(
        "payments_booking_without_credits",
        "PAYMENTS_BOOKING_WITHOUT_CREDITS",
        True,
        as_bool,
        "A lesson of a subject sold in packages may be booked without a credit left "
        "(otherwise a 409; ``credits.service.booking_guard``).",
    ),
    S(
        "payments_renewal_retry_days",
        "PAYMENTS_RENEWAL_RETRY_DAYS",
        [1, 3, 7],
        lambda v: [as_int(x) for x in as_list(v)],
        "Days after a failed renewal when it is tried again; then the subscription is past due.",
    ),
)


def provider_name(settings: dict[str, Any]) -> str | None:
    """The provider in use: the setting, else ``sandbox`` in debug, else none (payments off)."""
    name = settings.get("payment_provider")
    if name:
        return name
    return "sandbox" if settings.get("debug") else None


def check(settings: dict[str, Any]) -> tuple[list[str], list[str]]:
    """Production rules of the payments settings: (errors, warnings)."""
    errors: list[str] = []
    warnings: list[str] = []
    name = settings.get("payment_provider")
    if name == "sandbox":
        errors.append("PAYMENT_PROVIDER is sandbox: production takes real payments (yookassa).")
    elif name == "yookassa":
        if not settings.get("yookassa_shop_id") or not settings.get("yookassa_secret_key"):
            errors.append(
                "PAYMENT_PROVIDER is yookassa: set YOOKASSA_SHOP_ID and YOOKASSA_SECRET_KEY."
            )
        if not str(settings.get("yookassa_api_url", "")).startswith("https://"):
            errors.append("YOOKASSA_API_URL must be an https URL.")
    else:
        warnings.append("PAYMENT_PROVIDER is unset: payments are switched off.")
    return errors, warnings
