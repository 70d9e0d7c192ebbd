"""Monitoring rules: ingestion, joins, reports."""
