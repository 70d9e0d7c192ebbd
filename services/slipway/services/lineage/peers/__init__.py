"""The lineage report's calls to training and monitoring."""
