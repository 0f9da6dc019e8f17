"""Production rules of the payment settings (``thebot.payments.settings.check``, run by the
start-up check): never the sandbox, YooKassa with its credentials over https."""

from __future__ import annotations

import pytest

from thebot.settings import check_settings, load_settings

SAFE = {
    "debug": "false",
    "secret_key": "k" * 64,
    "allowed_hosts": "api.example.com",
    "cors_allowed_origins": "https://app.example.com",
    "database_url": "postgresql://thebot@db.example.com/thebot",
    "db_sslmode": "require",
    "backup_dir": "/var/lib/thebot/backups",
    "media_root": "/var/lib/thebot/media",
    "mail_dir": "/var/lib/thebot/mail",
}
YOOKASSA = {"payment_provider": "yookassa", "yookassa_shop_id": "1", "yookassa_secret_key": "s"}


def check(**override):
    return check_settings(load_settings({**SAFE, **override}, environ={}))


def test_yookassa_with_its_credentials_passes():
    errors, _ = check(**YOOKASSA)
    assert errors == []


@pytest.mark.parametrize(
    ("override", "needle"),
    [
        ({"payment_provider": "sandbox"}, "PAYMENT_PROVIDER is sandbox"),
        ({**YOOKASSA, "yookassa_secret_key": ""}, "YOOKASSA_SECRET_KEY"),
        ({**YOOKASSA, "yookassa_shop_id": ""}, "YOOKASSA_SHOP_ID"),
        ({**YOOKASSA, "yookassa_api_url": "http://proxy.local/v3"}, "https URL"),
    ],
)
def test_production_refuses_the_sandbox_and_yookassa_without_credentials(override, needle):
    errors, _ = check(**override)
    assert any(needle in e for e in errors), errors


def test_no_provider_in_production_warns_that_payments_are_off():
    errors, warnings = check()
    assert errors == []
    assert any("payments are switched off" in w for w in warnings)


def test_the_sandbox_is_the_default_in_development_only():
    from thebot.payments.settings import provider_name

    assert provider_name({"debug": True}) == "sandbox"
    assert provider_name({"debug": False}) is None
