"""thebot.scheduling.calendar.service."""
