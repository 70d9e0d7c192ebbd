"""Provenance of a new version's lineage: set by the server, never taken from the uploader.

A version's lineage names the training job that produced it and the principal who asked for
it. Both are only believed when the registry can check them: the uploader holds a training
role (``trainer``, or the deprecated ``service``) and the training service's own record of the
named job says it is, right now, registering a version of this very model (its stage is
REGISTERING) with the same parent. The job cannot name the version beforehand (the registry
numbers versions), so this is the tightest check available at upload time; the lineage report
later also checks that the finished job names this version. A verified lineage's
``created_by`` is the job's creator, from the training service's record.

Anything else is kept as the uploader declared it, marked self-reported, with ``created_by``
set to the uploader: a developer can describe where a hand-made model came from, but cannot
make it look like someone else's trained model.

A job produces one verified version. When the version is reserved (in the transaction that
numbers it, under the model's lock), a verified claim on a job that another version already
holds verified, and did not fail to upload, is downgraded to self-reported (``job_claims``):
the bytes stay, attributed to their uploader, and nothing can pass for the job's model beside
the one it registered. Training's own retries do not lose their claim: a retry of the same
request is answered with, or takes over, the version the first call reserved, and training asks
with a new request only once that upload FAILED.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Protocol

from slipway.core.context import Principal
from slipway.core.errors import UnavailableError
from slipway.core.reasons import Reason
from slipway.core.roles import TRAINER
from slipway.services.registry.domain.entities import (
    JOB_ALIAS_KEY,
    PROVENANCE_KEY,
    NewVersion,
    Provenance,
)

# Only the narrow role training registers with vouches for a job: the deprecated ``service``
# role was also handed to callers that are not training (serving, scripts), so a version one of
# them uploads stays self-reported whatever job it names.
PRODUCERS = frozenset({TRAINER})


class PeerError(Exception):
    """A peer service could not give what was asked (not configured, unreachable, refused, not
    found); its text says which service and why."""


class PeerUnreachableError(PeerError):
    """The training service should answer but cannot now (unreachable, refused): the upload is
    refused as UNAVAILABLE so that training retries, rather than its version being marked
    self-reported for good."""


@dataclass(frozen=True)
class JobRecord:
    """What the training service's own record says about a job."""

    name: str
    model: str  # models/{model}
    registering: bool  # running (or being cancelled) in its REGISTERING stage
    created_by: str
    parent_version: str
    alias_on_success: str


class JobRecords(Protocol):
    async def job_record(self, name: str) -> JobRecord:
        """The job ``name``; :class:`PeerError` when training is not configured or does not
        know the job, :class:`PeerUnreachableError` when it cannot answer now."""
        ...


class ProvenanceCheck:
    """Rewrites a declared lineage into what the registry stores."""

    def __init__(self, jobs: JobRecords) -> None:
        self._jobs = jobs

    async def settle(self, actor: Principal, model_id: str, spec: NewVersion) -> NewVersion:
        lineage = {
            k: v for k, v in spec.lineage.items() if k not in (PROVENANCE_KEY, JOB_ALIAS_KEY)
        }
        job_name = str(lineage.get("training_job", ""))
        record = None
        if job_name and not actor.roles.isdisjoint(PRODUCERS):
            try:
                record = await self._jobs.job_record(job_name)
            except PeerUnreachableError as problem:
                raise UnavailableError(
                    f"cannot verify the training job {job_name}: {problem}; retry later",
                    reason=Reason.UNAVAILABLE,
                    metadata={"resource": job_name},
                ) from problem
            except PeerError:
                record = None  # not configured, or no such job: nothing vouches for it
        if record is not None and _produces(record, model_id, lineage):
            lineage["created_by"] = record.created_by
            lineage[PROVENANCE_KEY] = Provenance.VERIFIED.value
            if record.alias_on_success:
                lineage[JOB_ALIAS_KEY] = record.alias_on_success
        else:
            lineage["created_by"] = actor.name
            lineage[PROVENANCE_KEY] = Provenance.SELF_REPORTED.value
        return replace(spec, lineage=lineage)


def _produces(record: JobRecord, model_id: str, lineage: dict[str, object]) -> bool:
    return (
        record.registering
        and record.model == f"models/{model_id}"
        and record.parent_version == str(lineage.get("parent_version", ""))
    )
