"""Settings of the accounts feature (collected into ``thebot.settings.SETTINGS``)."""

from __future__ import annotations

from thebot.settings.coercion import Setting as S
from thebot.settings.coercion import as_bool, as_int, as_optional_str, as_rate_limit

SETTINGS: tuple[S, ...] = (
    # accounts: authentication
    S(
        "token_lifetime_days",
        "TOKEN_LIFETIME_DAYS",
        30,
        as_int,
        "Days an API token issued by login or refresh stays valid.",
    ),
    S(
        "session_lifetime_hours",
        "SESSION_LIFETIME_HOURS",
        24,
        as_int,
        "Hours a browser session (cookie) stays valid after login.",
    ),
    S("password_min_length", "PASSWORD_MIN_LENGTH", 8, as_int, "Shortest accepted password."),
    S(
        "login_rate_limit",
        "LOGIN_RATE_LIMIT",
        "5/minute",
        as_rate_limit,
        "Login attempts allowed per client IP and login name (``limits`` notation).",
    ),
    S(
        "password_reset_rate_limit",
        "PASSWORD_RESET_RATE_LIMIT",
        "5/minute",
        as_rate_limit,
        "Password-reset requests (and confirmations) allowed per client IP and email.",
    ),
    S(
        "password_reset_url",
        "PASSWORD_RESET_URL",
        None,
        as_optional_str,
        "Front-end page for the reset email, with ``{token}`` where the token goes; "
        "when unset the email carries the token alone.",
    ),
    # accounts: rate limits
    S(
        "rate_limit_enabled",
        "RATE_LIMIT_ENABLED",
        True,
        as_bool,
        "Enforce rate limits (login, password reset, pairing codes, the authenticated API).",
    ),
    S(
        "api_rate_limit",
        "API_RATE_LIMIT",
        "500/hour",
        as_rate_limit,
        "Authenticated API requests per user (``X-RateLimit-*`` headers describe it).",
    ),
    S(
        "api_burst_limit",
        "API_BURST_LIMIT",
        "20/second",
        as_rate_limit,
        "Authenticated API requests per user in a short burst.",
    ),
    S(
        "pairing_rate_limit",
        "PAIRING_RATE_LIMIT",
        "5/minute",
        as_rate_limit,
        "Pairing-code redemption attempts per (client IP, parent) (``limits`` notation).",
    ),
)
