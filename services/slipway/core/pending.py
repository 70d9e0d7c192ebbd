"""Work queued on a session and done right before its transaction commits.

The audit log and the event log both record things during a unit of work and write them at the
very end, under a lock that serialises writers, so the lock is held only from that write to the
commit. Items remember the savepoint they were queued in: rolling a savepoint back drops exactly
the items queued inside it, and releasing one keeps them for the outermost commit.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction, sessionmaker

T = TypeVar("T")


def _within(transaction: SessionTransaction | None, ancestor: SessionTransaction) -> bool:
    while transaction is not None:
        if transaction is ancestor:
            return True
        transaction = transaction.parent
    return False


class CommitQueue(Generic[T]):
    """Items queued on a session, handed to ``flush`` by the outermost commit."""

    def __init__(self, key: str, flush: Callable[[Session, list[T]], None]) -> None:
        self._key = key
        self._flush = flush

    def add(self, session: Session, item: T) -> None:
        pending: list[tuple[SessionTransaction | None, T]] = session.info.setdefault(self._key, [])
        pending.append((session.get_nested_transaction(), item))

    def _before_commit(self, session: Session) -> None:
        if session.in_nested_transaction():
            return  # a savepoint is released: write at the outermost commit
        items = [item for _, item in session.info.pop(self._key, [])]
        if items:
            self._flush(session, items)

    def _after_rollback(self, session: Session, previous: SessionTransaction) -> None:
        rolled_back = previous
        while rolled_back.parent is not None and not rolled_back.nested:
            rolled_back = rolled_back.parent  # an internal subtransaction: its savepoint or root
        if rolled_back.parent is None:
            session.info.pop(self._key, None)
            return
        pending = session.info.get(self._key)
        if pending:
            pending[:] = [
                (where, item) for where, item in pending if not _within(where, rolled_back)
            ]

    def install(self, sessions: sessionmaker[Session]) -> None:
        """Flush queued items when sessions made by ``sessions`` commit (in install order)."""
        event.listen(sessions, "before_commit", self._before_commit)
        event.listen(sessions, "after_soft_rollback", self._after_rollback)
