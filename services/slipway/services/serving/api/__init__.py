"""gRPC edge of the serving service."""
