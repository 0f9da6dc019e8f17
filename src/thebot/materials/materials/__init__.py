"""thebot.materials.materials.service."""
