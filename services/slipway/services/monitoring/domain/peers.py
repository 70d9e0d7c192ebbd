"""What the monitoring domain needs from other services; ``monitoring/peers/`` implements it
over gRPC, so no wire type enters the domain."""

from __future__ import annotations

from typing import Protocol

from slipway.services.monitoring.domain.entities import RetrainingOutcome, RetrainingRequest
from slipway.services.monitoring.domain.labels import LabelSpace
from slipway.services.monitoring.domain.reference import Reference


class ReferenceSource(Protocol):
    """The registry's view of a version: its name and its reference (sample and model)."""

    async def version_name(self, name: str) -> str:
        """``models/m/versions/n`` for a version name or ``models/m@alias``."""

    async def reference(self, name: str) -> Reference:
        """The reference of version ``name`` (``models/m/versions/n``)."""

    async def alias_target(self, model: str, alias: str) -> str | None:
        """The version ``models/m@alias`` points to now; None when the alias is not set.
        Raises when the registry cannot say (unreachable, refused)."""

    async def label_space(self, name: str) -> LabelSpace | None:
        """What can be a label of version ``name`` (``models/m/versions/n``); None when the
        registry cannot say now (no such version, or unreachable): labels are then accepted
        and the evaluation leaves out those that turn out foreign."""


class ModelCatalog(Protocol):
    """The registry's models, so a policy names a model (and features) that exist."""

    async def feature_names(self, model: str) -> frozenset[str] | None:
        """The input names of the newest READY version of ``model`` (``models/m``), None when it
        has no ready version yet. Raises NotFoundError (MODEL_NOT_FOUND) when the model does
        not exist and UnavailableError when the registry cannot be reached."""


class Retrainer(Protocol):
    """Starts retraining jobs, unless one is running or the policy's cooldown holds."""

    async def decide(self, request: RetrainingRequest) -> RetrainingOutcome: ...
