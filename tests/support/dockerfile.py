"""Read deploy/image/Dockerfile's instructions, stage by stage (no Docker engine needed)."""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass, field
from pathlib import Path

DOCKERFILE = Path(__file__).resolve().parents[2] / "deploy" / "image" / "Dockerfile"


@dataclass
class Stage:
    name: str
    base: str
    instructions: list[tuple[str, str]] = field(default_factory=list)

    def all(self, keyword: str) -> list[str]:
        return [text for word, text in self.instructions if word == keyword]

    def last(self, keyword: str) -> str | None:
        found = self.all(keyword)
        return found[-1] if found else None


def exec_form(text: str) -> list[str]:
    """The argument list of an exec-form (JSON) CMD, ENTRYPOINT or HEALTHCHECK CMD."""
    value = json.loads(text)
    assert isinstance(value, list), text
    return [str(item) for item in value]


def stages(path: Path = DOCKERFILE) -> dict[str, Stage]:
    """Stages by name, in order; continuation lines joined, comments dropped."""
    logical: list[str] = []
    pending = ""
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        logical.append(pending + line)
        pending = ""
    found: dict[str, Stage] = {}
    current: Stage | None = None
    for line in logical:
        word, _, rest = line.partition(" ")
        word = word.upper()
        if word == "FROM":
            parts = shlex.split(rest)
            name = parts[2] if len(parts) == 3 and parts[1].upper() == "AS" else str(len(found))
            current = Stage(name, parts[0])
            found[name] = current
        elif current is not None:
            current.instructions.append((word, rest.strip()))
    return found


def inherited(found: dict[str, Stage], name: str, keyword: str) -> str | None:
    """The value of ``keyword`` in stage ``name``, following FROM <stage> back to the base."""
    stage: Stage | None = found[name]
    while stage is not None:
        value = stage.last(keyword)
        if value is not None:
            return value
        stage = found.get(stage.base)
    return None
