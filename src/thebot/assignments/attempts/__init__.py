"""thebot.assignments.attempts."""
