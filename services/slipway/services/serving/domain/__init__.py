"""The serving service's domain: served versions, batching, deployments."""
