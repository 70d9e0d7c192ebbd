"""Where the versions serving loads come from, as the domain sees it.

:class:`VersionSource` is what :class:`~.deployments.Deployments` asks of the registry (its
implementation, over gRPC with a local cache, is ``sources/registry.py``). The registry's own
description of a version travels through :class:`Found` untouched, so no wire type enters the
domain: the domain reads only the :class:`~.served.VersionInfo` the source extracted from it.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, Protocol, TypeVar

from slipway.services.serving.domain.served import VersionInfo
from slipway.services.serving.domain.targets import Target

M = TypeVar("M")  # a version as the registry describes it


@dataclass(frozen=True)
class Found(Generic[M]):
    """Which version a target means now; its files are not fetched yet."""

    target: Target
    message: M
    info: VersionInfo
    from_cache: bool  # the registry was unreachable; this is the last known resolution


@dataclass(frozen=True)
class Resolved:
    """A version with its files cached and verified."""

    info: VersionInfo
    model_file: Path
    sample_file: Path | None
    from_cache: bool  # the registry was unreachable; this is the last known resolution


@dataclass(frozen=True)
class AliasEvent:
    """An alias of ``model_id`` was set, moved or (``deleted``) deleted."""

    model_id: str
    alias: str
    deleted: bool = False


class VersionSource(Protocol[M]):
    """The registry as serving needs it. ``find`` raises ``NotFoundError`` for a target that
    does not exist and another ``SlipwayError`` when it cannot answer."""

    async def find(self, target: Target) -> Found[M]:
        """Which version ``target`` means now."""
        ...

    async def fetch(self, found: Found[M]) -> Resolved:
        """``found`` with its files cached and verified."""
        ...

    async def models_with_alias(self, alias: str) -> set[str]:
        """The ids of every model that has ``alias`` now."""
        ...

    def events(self, stop: asyncio.Event) -> AsyncIterator[AliasEvent]:
        """Alias events, until ``stop`` is set."""
        ...

    async def close(self) -> None: ...
