"""thebot.assignments.assignments.service."""
