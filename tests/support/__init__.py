"""Helpers shared by the test suite (import as `support.<module>`)."""
