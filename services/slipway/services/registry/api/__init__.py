"""gRPC edge of the registry."""
