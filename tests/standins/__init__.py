"""Loopback stand-ins of the chat platforms' HTTP APIs (no real server is reachable in tests)."""
