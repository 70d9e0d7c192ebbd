"""Lineage domain: the report and what it asks of its peers."""
