"""Where served versions come from: the registry and the local cache."""
