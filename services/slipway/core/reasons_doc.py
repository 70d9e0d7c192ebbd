"""Write ``docs/errors.md``, the table of ErrorInfo reasons, from the catalogue.

Run ``python -m slipway.core.reasons_doc > docs/errors.md`` (or ``make docs``);
``tests/core/test_reasons.py`` fails when the committed file differs from what this prints.
"""

from __future__ import annotations

import sys

from slipway.core.reasons import VARIOUS, Reason

HEADER = """\
# Error reasons

<!-- Generated from services/slipway/core/reasons.py by `make docs`; do not edit by hand. -->

Every error a Slipway service returns carries a canonical gRPC status code and one
`google.rpc.ErrorInfo` in the status details (AIP-193). Its `domain` is the service
(`registry.slipway`, `training.slipway`, ...), its `metadata` holds the `request_id` and, where
they help, the resources involved, and its `reason` is one of the values below. Branch on the
reason, not on the message: reasons never change once released, messages may.

"various" means the reason is sent with more than one status code; the meaning says which.

| Reason | gRPC code | Meaning |
|---|---|---|
"""


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _code(reason: Reason) -> str:
    return reason.code if reason.code == VARIOUS else f"`{reason.code}`"


def render() -> str:
    """The whole of ``docs/errors.md``: the reasons in alphabetical order."""
    rows = [
        f"| `{reason.value}` | {_code(reason)} | {_cell(reason.meaning)} |\n"
        for reason in sorted(Reason, key=lambda r: r.value)
    ]
    return HEADER + "".join(rows)


def main() -> None:
    sys.stdout.write(render())


if __name__ == "__main__":
    main()
