"""Credentials: passwords, API tokens, browser sessions and their revocation.

Below both ``accounts.auth`` (logging in) and ``accounts.users`` (creating, changing and
deactivating accounts), which use them; it imports neither.
"""
