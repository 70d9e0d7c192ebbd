"""The shared core every Slipway service is built on."""
