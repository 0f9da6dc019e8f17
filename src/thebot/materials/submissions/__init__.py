"""thebot.materials.submissions.service."""
