"""How people write resource names and times on the command line, and the API's names for them.

iris, models/iris                              the model models/iris
iris:3, iris/versions/3, models/iris/versions/3 version 3 of it
iris@production, models/iris@production        the version behind an alias
abc123, trainingJobs/abc123                    a training job
drift, monitoringPolicies/drift                a monitoring policy
2025-05-01T12:00, 2025-05-01, 90m, 2h, 1d       a time; a bare duration means that long ago
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from slipway.cli.output import CliError

_MODEL_ID = r"[A-Za-z0-9][A-Za-z0-9._-]*"
_VERSION = re.compile(
    rf"^(?:models/)?(?P<model>{_MODEL_ID})"
    rf"(?:(?::|/versions/)(?P<number>\d+)|@(?P<alias>[A-Za-z0-9][A-Za-z0-9._-]*))?$"
)
_AGO = re.compile(r"^(?P<amount>\d+(?:\.\d+)?)(?P<unit>[smhdw])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


@dataclass(frozen=True)
class VersionRef:
    """A model, and optionally one of its versions by number or alias."""

    model_id: str
    number: int = 0
    alias: str = ""

    @property
    def model(self) -> str:
        """``models/{model}``."""
        return f"models/{self.model_id}"

    @property
    def name(self) -> str:
        """The API name: ``models/m/versions/3``, ``models/m@alias``, or ``models/m``."""
        if self.number:
            return f"{self.model}/versions/{self.number}"
        if self.alias:
            return f"{self.model}@{self.alias}"
        return self.model

    @property
    def pinned(self) -> bool:
        """Whether a version (by number or alias) was named."""
        return bool(self.number or self.alias)


def version_ref(text: str, *, default_alias: str = "") -> VersionRef:
    """Parse ``iris``, ``iris:3``, ``iris@production`` or an API name. A bare model becomes
    ``default_alias`` of it when one is given."""
    match = _VERSION.match(text.strip())
    if match is None:
        raise CliError(
            f"{text!r} names no model version; write MODEL, MODEL:NUMBER, "
            "MODEL@ALIAS or models/MODEL/versions/NUMBER"
        )
    number = int(match["number"]) if match["number"] else 0
    alias = match["alias"] or ("" if number else default_alias)
    return VersionRef(match["model"], number, alias)


def required_version(text: str) -> VersionRef:
    """A version reference that must name a version (by number or alias)."""
    ref = version_ref(text)
    if not ref.pinned:
        raise CliError(
            f"{text!r} names a model, not a version; write {text}:NUMBER or {text}@ALIAS"
        )
    return ref


def model(text: str) -> str:
    """``models/{id}`` for ``id`` or ``models/{id}``."""
    ref = version_ref(text)
    if ref.pinned:
        raise CliError(f"{text!r} names a version; give the model alone, e.g. {ref.model_id}")
    return ref.model


def job(text: str) -> str:
    """``trainingJobs/{id}``."""
    return text if text.startswith("trainingJobs/") else f"trainingJobs/{text}"


def policy(text: str) -> str:
    """``monitoringPolicies/{id}``."""
    return text if text.startswith("monitoringPolicies/") else f"monitoringPolicies/{text}"


def alert(text: str) -> str:
    """``alerts/{id}``."""
    return text if text.startswith("alerts/") else f"alerts/{text}"


def moment(text: str, now: datetime | None = None) -> datetime:
    """An ISO time (naive means UTC), or a duration such as ``90m`` meaning that long ago."""
    ago = _AGO.match(text.strip())
    if ago is not None:
        delta = timedelta(**{_UNITS[ago["unit"]]: float(ago["amount"])})
        return (now or datetime.now(UTC)) - delta
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise CliError(
            f"{text!r} is not a time; write an ISO time such as 2025-05-01T12:00 "
            "or a duration ago such as 30m, 2h, 1d"
        ) from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)
