"""thebot.materials.comments.service."""
