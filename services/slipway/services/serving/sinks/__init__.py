"""Where serving sends what it did: prediction logs to monitoring."""
