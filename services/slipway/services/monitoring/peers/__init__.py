"""Monitoring's calls to the other services, implementing the Protocols of ``domain.peers``:
the registry for references, training for retraining jobs."""
