"""`slipway audit`: list, verify and export the shared audit log; verify an export offline."""

from __future__ import annotations

import argparse
import itertools
import json
import os
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from slipway import client
from slipway.audit.v1 import audit_event_pb2 as event_pb
from slipway.audit.v1 import chain_verification_pb2 as chain_pb
from slipway.cli.connect import add_connection_arguments, clients
from slipway.cli.output import EXIT_FAILED, CliError, visible
from slipway.core.audit import log
from slipway.core.audit.api import event_from_pb
from slipway.core.audit.chain import (
    GENESIS_HASH,
    HASH_VERSION,
    KEYED_HASH_VERSION,
    AuditEntry,
    Verification,
    entry_from_json,
    entry_to_json,
    format_time,
    verify_entries,
)
from slipway.core.audit.checkpoints import (
    CheckpointError,
    generate_signing_key,
    load_public_keys,
    public_key_id,
    verify_against,
)
from slipway.core.audit.keys import read_keyring
from slipway.core.audit.sinks import open_sink
from slipway.core.audit.verifier import read_snapshot, snapshot_engine
from slipway.core.bootstrap import connect_database
from slipway.core.db import default_database_url

EXIT_BROKEN = EXIT_FAILED
OUTCOMES = {
    "ok": event_pb.AUDIT_OUTCOME_OK,
    "denied": event_pb.AUDIT_OUTCOME_DENIED,
    "failed": event_pb.AUDIT_OUTCOME_FAILED,
}


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "audit",
        help="list, verify and export the audit log",
        description="Exit codes: 0 done (chain intact), 1 chain broken, 2 bad usage, "
        "3 the call failed (status and reason printed).",
    )
    actions = parser.add_subparsers(dest="audit_command", required=True, metavar="ACTION")

    listing = actions.add_parser("list", help="list events, newest first")
    _add_filter_arguments(listing)
    listing.add_argument("--limit", type=int, default=50, help="at most this many events")
    listing.add_argument("--oldest-first", action="store_true")
    listing.add_argument("--json", action="store_true", help="JSON lines instead of a table")
    add_connection_arguments(listing)
    listing.set_defaults(func=_list)

    verify = actions.add_parser(
        "verify",
        help="walk the hash chain (on the server, or on the database with the audit keys)",
        description="Without the options of 'on the database', a service walks the chain with "
        "its own keys. With them, this command reads the database itself (an auditor's "
        "read-only role will do) and checks keyed events with the key files given, so it "
        "trusts no running service.",
    )
    verify.add_argument("--start", type=int, default=0, help="first sequence (default 1)")
    verify.add_argument("--end", type=int, default=0, help="last sequence (default: the head)")
    verify.add_argument("--json", action="store_true")
    direct = verify.add_argument_group("on the database")
    direct.add_argument(
        "--database-url",
        default=None,
        metavar="URL",
        help="read the audit log from this database (default with a key or checkpoint option: "
        "$SLIPWAY_DATABASE_URL, else the SQLite file in $SLIPWAY_HOME)",
    )
    direct.add_argument(
        "--key-file",
        type=Path,
        action="append",
        default=[],
        help="an audit key file (repeat for the current and retired keys)",
    )
    direct.add_argument(
        "--key-dir",
        type=Path,
        action="append",
        default=[],
        help="a folder of audit key files, e.g. a mounted Secret (repeatable)",
    )
    direct.add_argument(
        "--unkeyed-until",
        type=int,
        default=0,
        help="with keys: the last sequence that may carry an unkeyed hash (0, the default: the "
        "chain was keyed from its first event); -1 accepts any unkeyed prefix, a chain "
        "rewritten unkeyed from its first event too",
    )
    direct.add_argument(
        "--checkpoints",
        default=None,
        metavar="FILE|s3://BUCKET/PREFIX",
        help="the signed checkpoints (audit_checkpoint_file, or the bucket of "
        "audit_checkpoint_s3_url: credentials, region and AWS_ENDPOINT_URL from the AWS "
        "environment): the chain must match each one, and reach the newest (a shorter chain "
        "was cut, or restored from an older backup)",
    )
    direct.add_argument(
        "--public-key",
        type=Path,
        action="append",
        default=[],
        help="PEM Ed25519 public key the checkpoints are signed with (repeatable)",
    )
    add_connection_arguments(verify)
    verify.set_defaults(func=_verify)

    pair = actions.add_parser(
        "checkpoint-key",
        help="make the Ed25519 key pair checkpoints are signed with",
        description="The private key goes to the one service that writes checkpoints "
        "(audit_checkpoint_signing_key_file), the public key to the auditors.",
    )
    pair.add_argument("--private-key", type=Path, required=True, help="file to create (0600)")
    pair.add_argument("--public-key", type=Path, required=True, help="file to create")
    pair.set_defaults(func=_checkpoint_key)

    export = actions.add_parser(
        "export", help="write events with every field and hash as JSON lines"
    )
    _add_filter_arguments(export)
    export.add_argument("--output", "-o", type=Path, default=None, help="file (default stdout)")
    add_connection_arguments(export)
    export.set_defaults(func=_export)

    offline = actions.add_parser(
        "verify-export", help="re-verify the chain of an export file, without any server"
    )
    offline.add_argument("file", type=Path, help="an export of the whole log, or of a range")
    offline.add_argument(
        "--anchor-hash",
        default=None,
        help="hash of the event before the first exported one "
        "(default: the first event's previous_hash if it is not event 1)",
    )
    offline.add_argument(
        "--expected-last-hash",
        default=None,
        help="a last hash recorded earlier: the export must end with it",
    )
    offline.add_argument(
        "--key-file",
        type=Path,
        action="append",
        default=[],
        help="an audit key file, to check keyed (HMAC) events: each names its key id "
        "(repeat for the current and retired keys)",
    )
    offline.add_argument(
        "--key-dir",
        type=Path,
        action="append",
        default=[],
        help="a folder of audit key files, e.g. the retired keys (repeatable)",
    )
    offline.add_argument(
        "--unkeyed-until",
        type=int,
        default=0,
        help="with keys: the last sequence that may carry an unkeyed hash (as for verify)",
    )
    offline.set_defaults(func=_verify_export)


def _add_filter_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("filter")
    group.add_argument("--principal", default="")
    group.add_argument("--action", default="", help="e.g. registry.SetModelAlias")
    group.add_argument("--resource", default="", help="exact resource name")
    group.add_argument("--resource-prefix", default="", help="e.g. models/churn")
    group.add_argument("--outcome", choices=sorted(OUTCOMES), default=None)
    group.add_argument("--service", default="", help="service that wrote the event")
    group.add_argument("--since", default=None, help="ISO time, inclusive")
    group.add_argument("--until", default=None, help="ISO time, exclusive")
    group.add_argument(
        "--filter",
        default="",
        help="an AIP-160 filter, ANDed with the options above, e.g. 'outcome = DENIED OR "
        "outcome = FAILED' (fields: sequence, event_time, principal, action, resource, "
        "service, outcome)",
    )


def _time(text: str) -> datetime:
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _filter(args: argparse.Namespace) -> str:
    """The options as one AIP-160 filter string."""
    flags = client.AuditFilter(
        principal=args.principal,
        action=args.action,
        resource=args.resource,
        resource_prefix=args.resource_prefix,
        service=args.service,
        outcome=OUTCOMES[args.outcome] if args.outcome else event_pb.AUDIT_OUTCOME_UNSPECIFIED,
        start_time=_time(args.since) if args.since else None,
        end_time=_time(args.until) if args.until else None,
    ).to_filter()
    return " AND ".join(part for part in (flags, args.filter) if part)


def _list(args: argparse.Namespace) -> int:
    with clients(args) as suite:
        events = suite.audit.list(
            _filter(args),
            oldest_first=args.oldest_first,
            page_size=min(1000, args.limit),
            timeout=args.timeout,
        )
        shown = [event_from_pb(e) for e in itertools.islice(events, max(0, args.limit))]
    if args.json:
        for entry in shown:
            print(json.dumps(entry_to_json(entry), ensure_ascii=False))
        return 0
    print(
        f"{'SEQ':>6}  {'TIME (UTC)':<26}  {'OUTCOME':<7}  {'PRINCIPAL':<16}  "
        f"{'ACTION':<30}  {'RESOURCE':<30}  REASON"
    )
    for e in shown:
        # Every text came from a caller once: escaped, so it cannot rewrite the line it is on.
        principal, action, resource = (visible(t) for t in (e.principal, e.action, e.resource))
        print(
            f"{e.sequence:>6}  {format_time(e.event_time):<26}  {e.outcome.value:<7}  "
            f"{principal[:16]:<16}  {action[:30]:<30}  {resource[:30]:<30}  "
            f"{visible(' '.join(_detail(e).split()))}"
        )
    return 0


def _detail(entry: AuditEntry) -> str:
    """The last column: the reason given; for the refusals counted at the edge (one event per
    caller, method and window), how many and from where."""
    try:
        payload = json.loads(entry.payload)
    except ValueError:
        payload = None
    if isinstance(payload, dict) and isinstance(payload.get("refusals"), int):
        what = entry.error_reason or "refused"
        peer = f" from {payload['peer']}" if isinstance(payload.get("peer"), str) else ""
        return f"{what} x{payload['refusals']}{peer} in {payload.get('window_seconds', '?')} s"
    return entry.reason or entry.error_reason


def _on_database(args: argparse.Namespace) -> bool:
    return bool(args.database_url or args.key_file or args.key_dir or args.checkpoints)


def _checkpoint_key(args: argparse.Namespace) -> int:
    try:
        key = generate_signing_key(args.private_key, args.public_key)
    except FileExistsError:
        raise CliError(f"{args.private_key} exists: not overwriting a signing key") from None
    print(f"public key id {public_key_id(key.public_key())}: {args.public_key}")
    return 0


def _database_url(args: argparse.Namespace) -> str:
    if args.database_url:
        return str(args.database_url)
    if url := os.environ.get("SLIPWAY_DATABASE_URL"):
        return url
    return default_database_url(Path(os.environ.get("SLIPWAY_HOME") or "~/.slipway").expanduser())


def _verify_database(args: argparse.Namespace) -> int:
    """Walk the chain on the database itself, with the key files given."""
    try:
        keyring = read_keyring(args.key_file, args.key_dir, unkeyed_until=args.unkeyed_until)
    except (OSError, ValueError) as exc:
        raise CliError(f"audit key: {exc}") from None
    if args.checkpoints and not args.public_key:
        raise CliError("--checkpoints needs --public-key: a checkpoint counts once verified")
    try:
        public_keys = load_public_keys(args.public_key)
        checkpoints = open_sink(args.checkpoints).read() if args.checkpoints else []
    except CheckpointError as exc:
        raise CliError(f"BROKEN: {exc}", EXIT_FAILED) from None
    except (OSError, ValueError) as exc:
        raise CliError(f"checkpoints: {exc}", EXIT_FAILED) from None
    db = connect_database(_database_url(args))
    try:
        with read_snapshot(snapshot_engine(db)) as session:
            head, _ = log.chain_head(session)
            result = log.verify(session, start=args.start or 1, end=args.end, keyring=keyring)
            if result.ok and checkpoints:
                result = verify_against(session, checkpoints, public_keys, result)
    except CheckpointError as exc:
        raise CliError(f"BROKEN: {exc}", EXIT_FAILED) from None
    finally:
        db.dispose()
    return _report(result, head == 0 or (result.ok and result.event_count == 0), args.json)


def _report(result: Verification, empty: bool, as_json: bool) -> int:
    status = "BROKEN" if not result.ok else "EMPTY" if empty else "OK"
    kind = result.break_kind.value if result.break_kind else "UNSPECIFIED"
    if as_json:
        print(
            json.dumps(
                {
                    "status": status,
                    "first_sequence": result.first_sequence,
                    "last_sequence": result.last_sequence,
                    "event_count": result.event_count,
                    "last_hash": result.last_hash,
                    "break_sequence": result.break_sequence,
                    "break_kind": kind if not result.ok else "UNSPECIFIED",
                    "detail": result.detail if not result.ok else result.protection,
                    "checkpoints_matched": result.checkpoints_matched,
                }
            )
        )
    elif not result.ok:
        print(f"BROKEN at sequence {result.break_sequence} ({kind}): {result.detail}")
    else:
        print(
            f"{status}: {result.event_count} events, {result.first_sequence}.."
            f"{result.last_sequence}, last hash {result.last_hash or '-'}"
        )
        print(f"  {result.protection}")
        if result.checkpoints_matched:
            print(f"  matches all {result.checkpoints_matched} signed checkpoint(s)")
    return EXIT_BROKEN if not result.ok else 0


def _keying_of_head(args: argparse.Namespace) -> str:
    """What an OK from the service vouches for, told by the newest event's hash version."""
    with clients(args) as suite:
        newest = next(
            iter(suite.audit.list(client.AuditFilter(), page_size=1, timeout=args.timeout)), None
        )
    if newest is not None and newest.hash_version == KEYED_HASH_VERSION:
        return "keyed chain: verified by the service with its audit keys"
    return Verification(keyed_verifier=False).protection


def _verify(args: argparse.Namespace) -> int:
    if _on_database(args):
        return _verify_database(args)
    with clients(args) as suite:
        answer = suite.audit.verify(
            start_sequence=args.start, end_sequence=args.end, timeout=args.timeout
        )
    status = chain_pb.ChainStatus.Name(answer.status).removeprefix("CHAIN_STATUS_")
    if args.json:
        print(
            json.dumps(
                {
                    "status": status,
                    "first_sequence": answer.first_sequence,
                    "last_sequence": answer.last_sequence,
                    "event_count": answer.event_count,
                    "last_hash": answer.last_hash,
                    "break_sequence": answer.break_sequence,
                    "break_kind": chain_pb.ChainBreakKind.Name(answer.break_kind).removeprefix(
                        "CHAIN_BREAK_KIND_"
                    ),
                    "detail": answer.detail,
                }
            )
        )
    elif answer.status == chain_pb.CHAIN_STATUS_BROKEN:
        kind = chain_pb.ChainBreakKind.Name(answer.break_kind).removeprefix("CHAIN_BREAK_KIND_")
        print(f"BROKEN at sequence {answer.break_sequence} ({kind}): {answer.detail}")
    else:
        print(
            f"{status}: {answer.event_count} events, {answer.first_sequence}.."
            f"{answer.last_sequence}, last hash {answer.last_hash or '-'}"
        )
        if answer.status == chain_pb.CHAIN_STATUS_OK:
            print(f"  {_keying_of_head(args)}")
    return EXIT_BROKEN if answer.status == chain_pb.CHAIN_STATUS_BROKEN else 0


def _export(args: argparse.Namespace) -> int:
    out: TextIO = args.output.open("w", encoding="utf-8") if args.output else sys.stdout
    count = 0
    try:
        with clients(args) as suite:
            for message in suite.audit.export(_filter(args), timeout=args.timeout * 20):
                out.write(
                    json.dumps(entry_to_json(event_from_pb(message)), ensure_ascii=False) + "\n"
                )
                count += 1
    finally:
        if args.output:
            out.close()
    print(f"exported {count} events", file=sys.stderr)
    return 0


EVENT_TIME_FORM = "YYYY-MM-DDTHH:MM:SS.ffffffZ"
# Every field of an export line (core.audit.chain.entry_to_json writes them).
EXPORT_FIELDS = frozenset(
    {
        "sequence",
        "event_id",
        "event_time",
        "service",
        "action",
        "principal",
        "roles",
        "resource",
        "outcome",
        "status_code",
        "error_reason",
        "reason",
        "request_id",
        "payload",
        "previous_hash",
        "hash",
        "hash_version",
    }
)


def _read_export(path: Path) -> Iterator[tuple[int, AuditEntry]]:
    """The entries of an export file with their line numbers; a CliError (exit 1) naming the
    first line that is not one, and what is wrong with it. A line that parses is checked by
    the chain, not here."""
    with path.open(encoding="utf-8", errors="strict") as handle:
        try:
            for number, line in enumerate(handle, start=1):
                if line.strip():
                    yield number, _entry_of_line(line, number)
        except UnicodeDecodeError as exc:
            raise CliError(f"{path}: not UTF-8 text ({exc.reason})", EXIT_FAILED) from None


def _entry_of_line(line: str, number: int) -> AuditEntry:
    where = f"line {number}"
    try:
        document = json.loads(line)
    except json.JSONDecodeError as exc:
        truncated = " (truncated?)" if exc.pos >= len(line.rstrip("\n")) else ""
        raise CliError(f"{where}: not JSON: {exc.msg}{truncated}", EXIT_FAILED) from None
    if not isinstance(document, dict):
        raise CliError(f"{where}: not an audit event (a JSON object)", EXIT_FAILED)
    missing = sorted(EXPORT_FIELDS - document.keys())
    if missing:
        raise CliError(f"{where}: missing field(s) {', '.join(missing)}", EXIT_FAILED)
    version = document["hash_version"]
    if version not in (HASH_VERSION, KEYED_HASH_VERSION):
        raise CliError(
            f"{where}: hash_version {version!r} is not one this tool knows "
            f"({HASH_VERSION}, {KEYED_HASH_VERSION}); verify it with a Slipway that wrote it",
            EXIT_FAILED,
        )
    stamp = document["event_time"]
    try:
        datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%fZ")
    except (TypeError, ValueError):
        raise CliError(
            f"{where}: event_time {stamp!r} is not in the export's form {EVENT_TIME_FORM}",
            EXIT_FAILED,
        ) from None
    try:
        return entry_from_json(document)
    except (ValueError, TypeError) as exc:
        raise CliError(
            f"{where}: a field has the wrong type or value: {exc}", EXIT_FAILED
        ) from None


def _verify_export(args: argparse.Namespace) -> int:
    try:
        keyring = read_keyring(args.key_file, args.key_dir, unkeyed_until=args.unkeyed_until)
    except (OSError, ValueError) as exc:
        raise CliError(f"audit key: {exc}") from None
    numbered = list(_read_export(args.file))
    entries = [entry for _, entry in numbered]
    if not entries:
        print("EMPTY: the export holds no events")
        return 0
    first = entries[0]
    anchor = args.anchor_hash or (GENESIS_HASH if first.sequence == 1 else first.previous_hash)
    by_hash = {e.hash: e.sequence for e in entries}
    result = verify_entries(
        entries,
        start=first.sequence,
        anchor_hash=anchor,
        sequence_of_hash=by_hash.get,
        keyring=keyring,
    )
    if not result.ok:
        kind = result.break_kind.value if result.break_kind else ""
        lines = {entry.sequence: number for number, entry in numbered}
        line = lines.get(result.break_sequence)
        where = f" on line {line}" if line is not None else " (missing from the export)"
        print(f"BROKEN at sequence {result.break_sequence} ({kind}){where}: {result.detail}")
        return EXIT_BROKEN
    if args.expected_last_hash and result.last_hash != args.expected_last_hash:
        print(
            f"BROKEN: the export ends with hash {result.last_hash}, "
            f"not the recorded {args.expected_last_hash}"
        )
        return EXIT_BROKEN
    print(
        f"OK: {result.event_count} events, {result.first_sequence}..{result.last_sequence}, "
        f"last hash {result.last_hash}"
    )
    print(f"  {result.protection}")
    return 0
