"""Accounts: users, role profiles, relationships, authentication, rate limits."""

from typing import Any


def includeme(config: Any) -> None:
    config.include("thebot.accounts.ratelimit")
    config.scan("thebot.accounts")
