"""thebot.accounts.users."""
