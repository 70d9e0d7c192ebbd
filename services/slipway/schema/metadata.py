"""The metadata of the whole suite: every module that maps a table, imported in one place.

Each service registers its tables on the shared `slipway.core.tables.Base` when its storage module
is imported. Alembic's autogenerate (and any check that compares the migrations with the mapped
tables) must see all of them at once; this is the one module that imports every service's tables,
so that `slipway.core` never has to.
"""

from __future__ import annotations

from typing import Final

from sqlalchemy import MetaData

import slipway.core.audit.tables
import slipway.core.event_log
import slipway.core.idempotency
import slipway.services.monitoring.storage.tables
import slipway.services.registry.storage.tables
import slipway.services.serving.storage.tables
import slipway.services.training.storage.tables  # noqa: F401  (imported for their tables)
from slipway.core.tables import Base

__all__ = ["METADATA"]

METADATA: Final[MetaData] = Base.metadata
"""Every table of the suite, as the migrations create them."""
