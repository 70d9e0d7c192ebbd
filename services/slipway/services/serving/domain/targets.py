"""What a deployment serves: a model followed by alias or pinned to a version number, and an
operator's stored decision about a model."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from slipway.core.errors import InvalidArgumentError
from slipway.core.names import ALIAS, MODEL_ID, VERSION_NUMBER
from slipway.core.reasons import Reason


@dataclass(frozen=True)
class Target:
    """A model by alias (followed) or by version number (pinned)."""

    model_id: str
    alias: str = ""
    number: int = 0

    def __str__(self) -> str:
        return f"{self.model_id}@{self.alias or self.number}"


@dataclass(frozen=True)
class StoredDeployment:
    """An operator's decision about one model: serve ``target``, or (``None``) do not serve
    the model at all."""

    model_id: str
    target: Target | None
    reason: str
    changed_by: str
    update_time: datetime


def parse_target(text: str, field: str = "model_name") -> Target:
    """``model``, ``model@alias`` or ``model@3``; a bare model means its `production` alias."""
    model_id, _, ref = text.partition("@")
    if not MODEL_ID.fullmatch(model_id) or (
        ref and not ALIAS.fullmatch(ref) and not VERSION_NUMBER.fullmatch(ref)
    ):
        raise InvalidArgumentError.for_field(
            field,
            f"{text!r} is not a model id with an optional @alias or @version",
            reason=Reason.INVALID_NAME,
        )
    if not ref:
        return Target(model_id, alias="production")
    if VERSION_NUMBER.fullmatch(ref):
        return Target(model_id, number=int(ref))
    return Target(model_id, alias=ref)
