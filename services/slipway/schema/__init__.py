"""The suite's one database schema: the Alembic migrations, the metadata that sees every
service's tables, and the start-up check that refuses a schema that does not match the code.

Kept outside `slipway.core` because it is the one place that imports every service's tables;
core itself never imports a service."""
