"""Monitoring storage: prediction logs and labels."""
