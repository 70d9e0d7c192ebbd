"""Alembic migrations of the suite's shared database (run through `slipway.schema.migrate`)."""
