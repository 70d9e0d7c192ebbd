"""The four Slipway services, each deployable on its own."""
