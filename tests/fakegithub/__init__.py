"""A local stand-in GitHub for delivery tests and for recording the cassettes (see server.py)."""
