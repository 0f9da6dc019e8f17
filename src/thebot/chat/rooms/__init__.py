"""Chat rooms: direct, group and subject rooms, their members and moderation."""
