"""The monitoring API: thin servicer over the domain."""
