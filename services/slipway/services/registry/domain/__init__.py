"""Registry domain: models, versions, aliases and their rules."""
