"""Monitoring's calls to the other services: the registry for references, training for
retraining jobs."""
