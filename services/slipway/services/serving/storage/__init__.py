"""Serving's storage: what operators asked serving to load or unload, kept in the database."""
