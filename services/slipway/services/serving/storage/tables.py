"""Serving's table: one row per model an operator loaded or unloaded through the repository
API (``RepositoryModelLoad`` / ``RepositoryModelUnload``, ``slipway serve add|remove``).

A row is the desired state every serving process of the suite converges to, not a record of
what one process holds: each process reads the table at start and polls it, so a load
acknowledged by one replica is served by every replica and survives restarts.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, String
from sqlalchemy.orm import Mapped, mapped_column

from slipway.core.tables import Base, UtcDateTime


class DeploymentRow(Base):
    __tablename__ = "serving_deployments"

    model_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    # False: unloaded; the model is not served even when settings or a followed alias name it.
    loaded: Mapped[bool] = mapped_column(Boolean)
    target: Mapped[str] = mapped_column(String(256))  # model@alias or model@3; "" when unloaded
    reason: Mapped[str] = mapped_column(String(1024))
    changed_by: Mapped[str] = mapped_column(String(256))
    update_time: Mapped[datetime] = mapped_column(UtcDateTime)
