"""thebot.scheduling.reminders.service."""
