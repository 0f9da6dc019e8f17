"""thebot.accounts.auth.service."""
