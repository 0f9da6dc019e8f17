"""Chat messages: send, edit, delete, pin, history and search, read state."""
