"""thebot.accounts.relationships."""
