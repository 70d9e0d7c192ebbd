"""What serving should serve: the settings' deployments, the models whose followed alias
exists, and the loads and unloads operators stored, merged into one target per model.

Precedence, per model: a stored load or unload (the latest operator decision, through
``RepositoryModelLoad`` / ``RepositoryModelUnload``) over the ``--deployments`` setting over
the followed alias (``--follow-alias``, default ``production``, narrowed by
``--follow-models``). The stored decisions live in the database, so every serving process of
the suite converges to the same state and a restarted process comes back to it; each change is
audited in the transaction that stores it.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from slipway.core.audit import record
from slipway.core.context import current_principal
from slipway.core.db import Database
from slipway.services.serving.domain.targets import StoredDeployment, Target
from slipway.services.serving.storage.repository import DeploymentRepository

NO_ALIAS = "none"  # --follow-alias none: follow nothing


@dataclass(frozen=True)
class FollowRule:
    """Serve ``model@alias`` for every model that has ``alias`` (empty: follow nothing),
    or only for the models in ``models`` when it is not empty."""

    alias: str = "production"
    models: frozenset[str] = frozenset()

    @property
    def enabled(self) -> bool:
        return bool(self.alias)

    def covers(self, model_id: str, alias: str) -> bool:
        return self.enabled and alias == self.alias and (not self.models or model_id in self.models)


def desired_targets(
    configured: Mapping[str, Target],
    follow: FollowRule,
    followed: Collection[str],
    stored: Iterable[StoredDeployment],
) -> dict[str, Target]:
    """One target per model to serve (see the module's docstring for the precedence)."""
    desired: dict[str, Target] = {}
    for model_id in sorted(followed):
        if follow.covers(model_id, follow.alias):
            desired[model_id] = Target(model_id, alias=follow.alias)
    desired.update(configured)
    for decision in stored:
        if decision.target is None:
            desired.pop(decision.model_id, None)
        else:
            desired[decision.model_id] = decision.target
    return desired


class DesiredStore:
    """The stored loads and unloads: read by every serving process, changed (and audited in
    the same transaction) by the repository API. Blocking: call it from a thread."""

    def __init__(self, db: Database, repository: DeploymentRepository) -> None:
        self._db = db
        self._repository = repository

    def read(self) -> list[StoredDeployment]:
        with self._db.unit_of_work(read_only=True) as session:
            return self._repository.list_all(session)

    def change(
        self,
        model_id: str,
        target: Target | None,
        *,
        reason: str,
        payload: Mapping[str, object],
    ) -> StoredDeployment:
        """Store that ``model_id`` serves ``target`` (``None``: is not served) and audit it;
        the action is ``serving.RepositoryModelLoad`` or ``serving.RepositoryModelUnload``."""
        principal = current_principal()
        decision = StoredDeployment(
            model_id=model_id,
            target=target,
            reason=reason,
            changed_by=principal.name,
            update_time=datetime.now(UTC),
        )
        with self._db.unit_of_work() as session:
            before = self._repository.get(session, model_id)
            self._repository.put(session, decision)
            record(
                session,
                service="serving",
                action="serving.RepositoryModelLoad"
                if target is not None
                else "serving.RepositoryModelUnload",
                resource=f"models/{model_id}",
                reason=reason,
                payload={
                    **payload,
                    "before": _described(before),
                    "after": _described(decision),
                },
            )
        return decision


def _described(decision: StoredDeployment | None) -> str:
    if decision is None:
        return "(not stored)"
    return str(decision.target) if decision.target is not None else "(unloaded)"
