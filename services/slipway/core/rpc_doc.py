"""Write ``docs/rpcs.md``: per RPC, the roles that may call it and the errors it may answer.

Run ``python -m slipway.core.rpc_doc > docs/rpcs.md`` (or ``make docs``);
``tests/core/test_rpc_reasons.py`` fails when the committed file differs from what this prints.
Both halves come from tables the services run on (``slipway.core.roles`` decides every call,
``slipway.core.rpc_reasons`` is checked against every error the test suite sees), so the page
cannot drift from what the servers do.
"""

from __future__ import annotations

import sys

from slipway.core.reasons import VARIOUS, Reason
from slipway.core.roles import RULES
from slipway.core.rpc_reasons import EDGE_REASONS, RPC_REASONS

HEADER = """\
# RPCs: who may call them, and what they may answer

<!-- Generated from services/slipway/core/roles.py and rpc_reasons.py by `make docs`; do not
edit by hand. -->

Each RPC lists the roles a token must hold to call it (the edge refuses anyone else with
`PERMISSION_DENIED`, reason `ROLE_NOT_ALLOWED`), whether it changes state (then every call,
refused or failed ones included, is written to the audit log), and the `google.rpc.ErrorInfo`
reasons its own logic sends, with their status codes: each of them seen in the test suite,
which reports at its end any reason an RPC sent that this table lacks. `docs/errors.md` says
what each reason means. Finer rules that depend on the request (only an approver may move a
protected alias) are in the RPC's comment in `protos/`.

Any call may also get these reasons from the edge, whatever the RPC:

"""


def _code(reason: Reason) -> str:
    return "various" if reason.code == VARIOUS else reason.code


def _reasons(reasons: frozenset[Reason]) -> str:
    if not reasons:
        return "none beyond the edge's"
    return "<br>".join(f"`{r.value}` ({_code(r)})" for r in sorted(reasons, key=lambda r: r.value))


def render() -> str:
    """The whole of ``docs/rpcs.md``."""
    parts = [HEADER]
    parts.extend(
        f"- `{r.value}` ({_code(r)}): {r.meaning}\n" for r in sorted(EDGE_REASONS, key=str)
    )
    for service, methods in RULES.items():
        if service.startswith("grpc."):
            continue  # reflection: a tool's service, not Slipway's contract
        parts.append(
            f"\n## `{service}`\n\n| RPC | Roles | Changes state | Reasons |\n|---|---|---|---|\n"
        )
        for method, access in methods.items():
            roles = ", ".join(sorted(access.roles))
            reasons = RPC_REASONS.get(f"/{service}/{method}", frozenset())
            parts.append(
                f"| `{method}` | {roles} | {'yes' if access.mutates else 'no'} | "
                f"{_reasons(reasons)} |\n"
            )
    return "".join(parts)


def main() -> None:
    sys.stdout.write(render())


if __name__ == "__main__":
    main()
