"""Backup console scripts: create, verify and restore."""
