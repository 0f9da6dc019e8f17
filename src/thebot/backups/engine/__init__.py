"""thebot.backups.engine."""
