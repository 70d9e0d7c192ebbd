"""One verified version per training job (see ``provenance``): the check made when a version
is reserved, in the transaction that numbers it, under the model's lock."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from slipway.core.context import Principal
from slipway.services.registry.domain.entities import (
    JOB_ALIAS_KEY,
    PROVENANCE_KEY,
    ModelVersion,
    NewVersion,
    Provenance,
    VersionState,
)


def second_claim(
    actor: Principal, spec: NewVersion, claimed: Iterable[ModelVersion]
) -> NewVersion | None:
    """``spec`` downgraded to self-reported when it claims a job verified that one of
    ``claimed`` (the other versions naming the job) already holds and has not FAILED; None
    when its claim stands (or it claims nothing)."""
    if spec.lineage.get(PROVENANCE_KEY) != Provenance.VERIFIED.value:
        return None
    if not any(
        v.provenance is Provenance.VERIFIED and v.state is not VersionState.FAILED for v in claimed
    ):
        return None
    lineage = {k: v for k, v in spec.lineage.items() if k != JOB_ALIAS_KEY}
    lineage["created_by"] = actor.name
    lineage[PROVENANCE_KEY] = Provenance.SELF_REPORTED.value
    return replace(spec, lineage=lineage)
