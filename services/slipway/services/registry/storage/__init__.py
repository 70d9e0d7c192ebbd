"""Registry storage: tables and the repository."""
