"""Users: accounts, role profiles, who may change what."""

from typing import Any


def includeme(config: Any) -> None:
    from thebot.accounts.users.profiles import add_profile_field

    config.add_directive("add_profile_field", add_profile_field)
