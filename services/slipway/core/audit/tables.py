"""Rows of the audit log: the events, and the chain head that serialises appends."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from slipway.core.tables import Base, UtcDateTime


class AuditEventRow(Base):
    """One audit event. Append-only: no code updates or deletes it, and on PostgreSQL (and
    SQLite) a trigger refuses UPDATE and DELETE."""

    __tablename__ = "audit_events"

    sequence: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    event_id: Mapped[str] = mapped_column(String(36), unique=True)
    event_time: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    service: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(128), index=True)
    principal: Mapped[str] = mapped_column(String(255), index=True)
    roles: Mapped[str] = mapped_column(String(255))  # sorted, comma-separated
    resource: Mapped[str] = mapped_column(String(1024), index=True)
    outcome: Mapped[str] = mapped_column(String(16), index=True)
    status_code: Mapped[str] = mapped_column(String(32))
    error_reason: Mapped[str] = mapped_column(String(128))
    reason: Mapped[str] = mapped_column(Text)
    request_id: Mapped[str] = mapped_column(String(128))
    payload: Mapped[str] = mapped_column(Text)  # canonical JSON text, hashed as stored
    previous_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)
    hash_version: Mapped[int] = mapped_column(Integer)
    # Hash version 2: the id of the HMAC key (never the key itself); "" for unkeyed events.
    key_id: Mapped[str] = mapped_column(String(16), server_default="", default="")


class AuditChainHead(Base):
    """The single row naming the last appended event. Appends lock it, which serialises them
    across processes on PostgreSQL; it also reveals events removed from the end of the log."""

    __tablename__ = "audit_chain_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_sequence: Mapped[int] = mapped_column(BigInteger)
    last_hash: Mapped[str] = mapped_column(String(64))
