"""Mutation testing of Slipway's core promises: break each promise on purpose, run the tests that
guard it, and report which test caught it, or that none did.

Each mutation below is one named, hand-written change to the code (an exact text, found exactly
once, replaced by another) with the tests meant to catch it. The checkout is copied to a
temporary folder once (without .git, the venv and caches); each mutation is applied to that copy,
its tests run there with pytest (no xdist, stopping at the first failure), and the file is put
back. A mutation is KILLED when its tests fail, SURVIVED when they pass; a run that errors
before testing anything (a mutation that no longer applies, a collection error) or outlives its
time bound is reported as such, never as killed. Before the mutations, every test selection runs
once on the unchanged copy: a selection that fails there would kill anything, so the run stops.

    make mutate                                  # every mutation (a few minutes)
    .venv/bin/python tools/mutate.py --list      # the mutations and their tests
    .venv/bin/python tools/mutate.py --only ks-threshold-0.01 --only smoke-test-skipped

Exit status: 0 when every mutation was killed, 1 otherwise. Not part of `make test`: it is a
tool for the team, run when the promises or their tests change. To add a mutation, append a
`Mutation` to MUTATIONS with the smallest test selection that should catch it.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COPY_IGNORED = shutil.ignore_patterns(
    ".git",
    ".venv",
    ".tools",
    "node_modules",
    "__pycache__",
    ".pytest_cache",
    ".mypy_cache",
    ".ruff_cache",
    "*.egg-info",
)
PYTEST_OPTIONS = ("-x", "-q", "-rf", "-p", "no:xdist", "-p", "no:cacheprovider")
FAILED_LINE = re.compile(r"^(?:FAILED|ERROR) (\S+)", re.MULTILINE)


@dataclass(frozen=True)
class Mutation:
    """One deliberate break of a promise: ``old`` (found exactly once in ``path``) becomes
    ``new``; ``tests`` are the pytest arguments that must then fail."""

    name: str
    promise: str
    path: str
    old: str
    new: str
    tests: tuple[str, ...]


REGISTRY = "services/slipway/services/registry/domain/service.py"
DRIFT = "services/slipway/services/monitoring/stats/drift.py"
AUDIT_TABLE = (
    "tests/services/test_audit_table.py::test_every_mutating_rpc_writes_exactly_its_audit_events",
)
INTEGRITY = "tests/services/serving/test_serving_integrity.py::"
# The cases around each threshold, not the test that compares the defaults with the documented
# ones (which fails on any change of them): the kill shows a verdict moves.
_PINNED = "tests/services/monitoring/stats/test_drift_defaults_pinned.py::"
DRIFT_CASES = (
    _PINNED + "test_a_p_value_between_one_and_five_percent_drifts",
    _PINNED + "test_a_p_value_between_five_and_ten_percent_does_not_drift",
    _PINNED + "test_a_distance_just_over_its_threshold_drifts_and_one_just_under_does_not",
)


def _unaudited(action: str) -> tuple[str, str]:
    """The ``record(...)`` call that audits ``action`` in the registry, and the same call made
    to do nothing (its arguments are still evaluated, so nothing else changes)."""
    indent = "\n" + " " * 16
    call = f'record({indent}session,{indent}service=SERVICE,{indent}action="{action}",'
    return call, call.replace("record(", "(lambda *args, **kwargs: None)(", 1)


MUTATIONS: tuple[Mutation, ...] = (
    # -- audit: every change writes its event ---------------------------------------------
    Mutation(
        "audit-archive-version-removed",
        "audit",
        REGISTRY,
        *_unaudited("registry.ArchiveModelVersion"),
        AUDIT_TABLE,
    ),
    Mutation(
        "audit-update-version-removed",
        "audit",
        REGISTRY,
        *_unaudited("registry.UpdateModelVersion"),
        AUDIT_TABLE,
    ),
    Mutation(
        "audit-chain-content-unchecked",
        "audit",
        "services/slipway/core/audit/chain.py",
        "if entry.previous_hash != previous_hash or "
        "compute_hash(entry, keyring.keys) != entry.hash:",
        "if entry.previous_hash != previous_hash:",
        ("tests/core/test_audit_log.py::test_tampering_is_found_at_the_exact_sequence",),
    ),
    # -- auth: a token and a role the method allows ---------------------------------------
    Mutation(
        "auth-any-token-accepted",
        "auth",
        "services/slipway/core/auth.py",
        "        if principal is None:\n"
        '            raise UnauthenticatedError("invalid bearer token", '
        "reason=Reason.TOKEN_INVALID)",
        "        if principal is None:\n"
        '            return Principal("forger", frozenset({"admin"}))',
        ("tests/core/test_auth.py",),
    ),
    Mutation(
        "auth-role-check-skipped",
        "auth",
        "services/slipway/core/interceptors.py",
        "        if not principal.has_any(allowed):",
        "        if False:",
        ("tests/core/test_server.py::test_role_without_the_method_is_permission_denied",),
    ),
    Mutation(
        "auth-viewer-may-archive",
        "auth",
        "services/slipway/core/roles.py",
        '"ArchiveModelVersion": changes(),',
        '"ArchiveModelVersion": changes(WRITE | {VIEWER}),',
        ("tests/services/test_access.py::test_the_role_table_grants_exactly_the_expected_roles",),
    ),
    # -- artifacts: bytes are what their digest says ---------------------------------------
    Mutation(
        "artifacts-upload-digest-unchecked",
        "artifacts",
        "services/slipway/ml/artifacts.py",
        "if expected_sha256 is not None and expected_sha256 != actual:",
        "if False:",
        (
            "tests/ml/test_artifacts.py::"
            "test_a_digest_mismatch_is_refused_naming_both_digests_and_leaves_nothing",
            "tests/services/registry/test_registry_versions.py::"
            "test_a_sha256_mismatch_fails_the_version_and_stores_nothing[sqlite]",
        ),
    ),
    Mutation(
        "serving-download-digest-unchecked",
        "artifacts",
        "services/slipway/ml/artifact_cache.py",
        "    if digest.hexdigest() != sha256:\n        partial.unlink(missing_ok=True)",
        "    if False:\n        partial.unlink(missing_ok=True)",
        (INTEGRITY + "test_a_download_whose_bytes_do_not_match_is_refused",),
    ),
    Mutation(
        "serving-cache-rehash-skipped",
        "artifacts",
        "services/slipway/ml/artifact_cache.py",
        "        if _digest(file) != sha256:",
        "        if False:",
        (INTEGRITY + "test_a_corrupted_cached_file_is_deleted_and_fetched_again",),
    ),
    # -- serving: a version is smoke-tested before it serves -------------------------------
    Mutation(
        "serving-smoke-test-skipped",
        "serving",
        "services/slipway/services/serving/domain/loading.py",
        "    if len(rows):\n        try:",
        "    if False:\n        try:",
        (INTEGRITY + "test_a_version_that_fails_its_smoke_test_is_never_switched_to",),
    ),
    # -- batching: each request gets its own rows back -------------------------------------
    Mutation(
        "batching-answers-shifted",
        "batching",
        "services/slipway/services/serving/domain/batching.py",
        "{name: merged[name][start:end] for name in item.outputs}",
        "{name: merged[name][:end - start] for name in item.outputs}",
        ("tests/services/serving/test_serving_batching.py",),
    ),
    # -- drift: the documented thresholds --------------------------------------------------
    Mutation("ks-threshold-0.01", "drift", DRIFT, '"ks": 0.05,', '"ks": 0.01,', DRIFT_CASES),
    Mutation("ks-threshold-0.10", "drift", DRIFT, '"ks": 0.05,', '"ks": 0.10,', DRIFT_CASES),
    Mutation(
        "chisquare-threshold-0.10",
        "drift",
        DRIFT,
        '"chisquare": 0.05,',
        '"chisquare": 0.10,',
        DRIFT_CASES,
    ),
    Mutation(
        "wasserstein-threshold-0.2",
        "drift",
        DRIFT,
        '"wasserstein": 0.1,',
        '"wasserstein": 0.2,',
        DRIFT_CASES,
    ),
    # -- alias rules: a protected alias moves by an approver, with a reason ----------------
    Mutation(
        "alias-protected-by-anyone",
        "alias rules",
        REGISTRY,
        "        if actor.roles.isdisjoint(APPROVERS):\n            raise PermissionDeniedError(",
        "        if False:\n            raise PermissionDeniedError(",
        ("tests/services/registry/test_registry_aliases.py",),
    ),
    Mutation(
        "alias-protected-without-reason",
        "alias rules",
        REGISTRY,
        "        if not reason.strip():\n            raise InvalidArgumentError.for_field(\n"
        '                "reason",\n'
        '                f"is required to change the protected alias {alias!r}",',
        "        if False:\n            raise InvalidArgumentError.for_field(\n"
        '                "reason",\n'
        '                f"is required to change the protected alias {alias!r}",',
        ("tests/services/registry/test_registry_aliases.py",),
    ),
)


@dataclass(frozen=True)
class Outcome:
    verdict: str  # KILLED, SURVIVED, ERROR, TIMEOUT
    detail: str  # the failing test, or why there is no verdict
    seconds: float
    output: str


def run_tests(copy: Path, tests: Sequence[str], timeout: float) -> Outcome:
    """Run ``tests`` in ``copy`` (its code first on the path, for spawned services too)."""
    environment = dict(
        os.environ,
        PYTHONPATH=os.pathsep.join(
            [str(copy / "services"), str(copy / "clients/python"), os.environ.get("PYTHONPATH", "")]
        ).rstrip(os.pathsep),
        PYTHONDONTWRITEBYTECODE="1",
    )
    started = time.monotonic()
    # A session of its own, so a timeout ends the tests' children (services, workers) too.
    process = subprocess.Popen(
        [sys.executable, "-m", "pytest", *PYTEST_OPTIONS, *tests],
        cwd=copy,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        output, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        output, _ = process.communicate()
        return Outcome("TIMEOUT", f"over {timeout:.0f} s", time.monotonic() - started, output)
    seconds = time.monotonic() - started
    if process.returncode == 0:
        return Outcome("SURVIVED", "every selected test passed", seconds, output)
    if process.returncode == 1:  # tests ran and failed
        failed = FAILED_LINE.search(output)
        return Outcome("KILLED", failed.group(1) if failed else "a test failed", seconds, output)
    return Outcome("ERROR", f"pytest exited {process.returncode}", seconds, output)


def apply(copy: Path, mutation: Mutation) -> str:
    """Apply ``mutation`` to the copy; returns the original text to put back."""
    file = copy / mutation.path
    original = file.read_text()
    found = original.count(mutation.old)
    if found != 1:
        raise ValueError(f"{mutation.path}: the text to mutate is found {found} times, not once")
    file.write_text(original.replace(mutation.old, mutation.new))
    return original


def table(rows: Sequence[tuple[str, ...]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        for row in rows
    ]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(line.rstrip() for line in lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", action="append", default=[], metavar="NAME")
    parser.add_argument("--list", action="store_true", help="list the mutations and exit")
    parser.add_argument(
        "--timeout", type=float, default=600.0, help="seconds per test run (default 600)"
    )
    parser.add_argument(
        "--show-output", action="store_true", help="print pytest's output of every run"
    )
    args = parser.parse_args(argv)
    unknown = set(args.only) - {m.name for m in MUTATIONS}
    if unknown:
        parser.error(f"unknown mutations: {', '.join(sorted(unknown))}")
    chosen = [m for m in MUTATIONS if not args.only or m.name in args.only]
    if args.list:
        for m in chosen:
            print(f"{m.name} ({m.promise}): {m.path}\n    tests: {' '.join(m.tests)}")
        return 0

    with tempfile.TemporaryDirectory(prefix="slipway-mutate-") as folder:
        copy = Path(folder) / "slipway"
        shutil.copytree(ROOT, copy, ignore=COPY_IGNORED)
        for tests in dict.fromkeys(m.tests for m in chosen):  # each selection once, in order
            baseline = run_tests(copy, tests, args.timeout)
            print(f"baseline {' '.join(tests)}: {baseline.verdict} in {baseline.seconds:.0f} s")
            if baseline.verdict != "SURVIVED":
                print(baseline.output[-4000:])
                print("the unchanged code fails these tests: no mutation can be judged")
                return 2
        rows = [("mutation", "promise", "result", "caught by / why", "seconds")]
        for m in chosen:
            try:
                original = apply(copy, m)
            except ValueError as exc:
                rows.append((m.name, m.promise, "ERROR", str(exc), "0"))
                print(f"{m.name}: ERROR {exc}", flush=True)
                continue
            try:
                outcome = run_tests(copy, m.tests, args.timeout)
            finally:
                (copy / m.path).write_text(original)
            rows.append(
                (m.name, m.promise, outcome.verdict, outcome.detail, f"{outcome.seconds:.0f}")
            )
            print(f"{m.name}: {outcome.verdict} ({outcome.detail})", flush=True)
            if args.show_output or outcome.verdict == "ERROR":
                print(outcome.output[-4000:])
    print()
    print(table(rows))
    killed = sum(row[2] == "KILLED" for row in rows[1:])
    print(f"\n{killed} of {len(rows) - 1} mutations killed")
    return 0 if killed == len(rows) - 1 else 1


if __name__ == "__main__":
    sys.exit(main())
