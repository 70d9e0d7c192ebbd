"""The registry's calls to the other services: training and monitoring, for lineage reports."""
