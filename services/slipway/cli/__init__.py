"""The `slipway` command line."""
