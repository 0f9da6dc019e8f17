"""How chat reaches people who are away: in-app notifications, email digests."""
