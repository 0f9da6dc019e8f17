"""thebot.scheduling.lessons.service."""
