"""thebot.audit."""
