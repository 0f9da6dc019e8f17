"""thebot.assignments.reports.service."""
