"""gRPC edge of the lineage report."""
