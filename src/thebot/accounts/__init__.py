"""Accounts: users, role profiles, relationships, authentication, rate limits."""

from typing import Any


def includeme(config: Any) -> None:
    config.scan("thebot.accounts")
