"""Accounts: users, role profiles, relationships, authentication, rate limits."""

from typing import Any


def includeme(config: Any) -> None:
    config.include("thebot.notifications")  # config.add_notification_category
    config.add_notification_category(
        "account", "Your account: security, linked parents and children", email=True
    )
    config.include("thebot.accounts.auth.ratelimit")
    config.include("thebot.accounts.credentials.sessions")
    config.include("thebot.accounts.auth.identity")
    config.include("thebot.accounts.relationships")  # config.add_teaching_relation
    config.include("thebot.accounts.users")  # config.add_profile_field
    config.add_periodic_task("accounts.purge_expired_credentials", cron="17 3 * * *")
    config.include("thebot.accounts.users.demo")  # development first start: demo accounts
    config.scan("thebot.accounts")
