"""thebot.assignments.submissions.service."""
