"""Account console scripts: the first administrator and the demo accounts."""
