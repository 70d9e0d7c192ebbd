"""Print the pinned runtime requirements of the `slipway` distribution as installed here.

The image installs exactly the versions the test suite ran against. After changing dependencies
in pyproject.toml (or after `make venv` picked up newer releases), run from the repository root:

    .venv/bin/python deploy/image/pin_requirements.py > deploy/image/requirements.txt

Only the runtime closure is listed (no dev extras, never the two local distributions, which the
image builds from source). tests/deploy/test_image.py checks the file against pyproject.toml.
"""

from __future__ import annotations

import sys
from importlib import metadata

from packaging.requirements import Requirement
from packaging.utils import NormalizedName, canonicalize_name

LOCAL = {"slipway", "slipway-client"}


def runtime_closure(root: str = "slipway") -> dict[NormalizedName, tuple[str, set[str]]]:
    """Every distribution ``root`` needs at run time: name -> (installed version, extras)."""
    found: dict[NormalizedName, tuple[str, set[str]]] = {}
    todo: list[tuple[str, set[str]]] = [(root, set())]
    while todo:
        name, extras = todo.pop()
        dist = metadata.distribution(name)
        key = canonicalize_name(dist.metadata["Name"])
        known = found.get(key)
        if known is not None and extras <= known[1]:
            continue
        found[key] = (dist.version, extras | (known[1] if known else set()))
        for line in dist.requires or []:
            requirement = Requirement(line)
            marker = requirement.marker
            if marker is None or any(marker.evaluate({"extra": e}) for e in extras or {""}):
                todo.append((requirement.name, set(requirement.extras)))
    return found


def main() -> int:
    print("# Runtime dependencies of the image, pinned to the versions the tests ran against.")
    print(
        "# Regenerate: .venv/bin/python deploy/image/pin_requirements.py "
        "> deploy/image/requirements.txt"
    )
    for name, (version, extras) in sorted(runtime_closure().items()):
        if name in LOCAL:
            continue
        suffix = f"[{','.join(sorted(extras))}]" if extras else ""
        print(f"{name}{suffix}=={version}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
