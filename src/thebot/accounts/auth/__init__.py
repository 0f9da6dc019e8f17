"""Authentication: logging in and out, API tokens, password change and reset, rate limits."""
