"""What the `slipway` commands print, and the exit codes scripts can rely on.

Every command prints a human-readable table (or a short summary) by default and JSON with
``--json``: one document for a single answer or a list, one compact line per event for watches.
Errors are one line on stderr, ``error: NOT_FOUND (VERSION_NOT_FOUND): message [request id]``,
never a traceback.

Exit codes (every command; ``slipway db check`` adds 3 behind and 4 ahead, see its help):

    0  done
    1  the thing asked for failed: a training job failed or was cancelled, the audit chain is
       broken, a report found drift with ``--fail-on-drift``, a local file could not be written
    2  bad usage: wrong flags or arguments, an unreadable input file, no target or token
    3  the call failed: the service answered an error (or could not be reached), with its
       status code and reason
  130  interrupted (Ctrl-C)
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final, TextIO

from google.protobuf import json_format
from google.protobuf.message import Message

from slipway.client import SlipwayError

EXIT_OK: Final = 0
EXIT_FAILED: Final = 1
EXIT_USAGE: Final = 2
EXIT_RPC_ERROR: Final = 3
EXIT_INTERRUPTED: Final = 130

EXIT_CODES_HELP: Final = (
    "exit codes: 0 done, 1 the thing asked for failed (job failed, chain broken), 2 bad usage "
    "(flags, input files, no target or token), 3 the call failed (status and reason printed)"
)

CELL_WIDTH = 48  # columns other than the last are cut to this many characters


class CliError(Exception):
    """A problem the command reports as one line and an exit code (no call was made, or the
    answer showed a failure that is not an RPC error)."""

    def __init__(self, message: str, exit_code: int = EXIT_USAGE) -> None:
        super().__init__(message)
        self.exit_code = exit_code


# -- errors ------------------------------------------------------------------------------------


def read_source(source: str) -> str:
    """The text of an input file named on the command line, or of standard input for ``-``;
    ``CliError`` (usage) when it cannot be read or is not UTF-8."""
    if source == "-":
        return sys.stdin.read()
    try:
        return Path(source).read_text()
    except OSError as exc:
        raise CliError(f"cannot read {source}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise CliError(f"{source} is not UTF-8 text") from None


def error_lines(error: SlipwayError) -> list[str]:
    """The error line of a failed call, then one indented line per invalid field that the
    message does not already name."""
    lines = [f"error: {error}"]
    lines += [
        f"  {v.field}: {v.description}"
        for v in error.field_violations
        if f"{v.field}: {v.description}" not in error.message
    ]
    return lines


def report_error(error: BaseException, stream: TextIO | None = None) -> int:
    """Print ``error`` as the command's last words and return the exit code it stands for."""
    out = stream or sys.stderr
    if isinstance(error, CliError):
        print(f"error: {error}", file=out)
        return error.exit_code
    if isinstance(error, SlipwayError):
        print("\n".join(error_lines(error)), file=out)
        return EXIT_RPC_ERROR
    if isinstance(error, OSError) and error.strerror:  # a local file, not the call
        where = f" ({error.filename})" if error.filename else ""
        print(f"error: {error.strerror}{where}", file=out)
        return EXIT_FAILED
    if isinstance(error, KeyboardInterrupt):
        print("interrupted", file=out)
        return EXIT_INTERRUPTED
    raise error


# -- JSON --------------------------------------------------------------------------------------


def to_dict(message: Message) -> dict[str, Any]:
    """A message as JSON-ready data, field names as in the proto (as ``lineage_render``)."""
    return json_format.MessageToDict(message, preserving_proto_field_name=True)


def print_json(document: Any) -> None:
    """One JSON document (a dict, a list, or a message), indented."""
    if isinstance(document, Message):
        document = to_dict(document)
    elif isinstance(document, list):
        document = [to_dict(d) if isinstance(d, Message) else d for d in document]
    print(json.dumps(document, indent=2, ensure_ascii=False, default=str))


def print_json_line(document: Any) -> None:
    """One JSON document on one line (for streams)."""
    if isinstance(document, Message):
        document = to_dict(document)
    print(json.dumps(document, ensure_ascii=False, default=str), flush=True)


# -- text --------------------------------------------------------------------------------------


def visible(text: str) -> str:
    """``text`` with every control and format character (terminal escapes, bidi overrides,
    NUL, DEL) written as a Python escape: text that reached the server from anyone, an
    unauthenticated caller's reason say, can then not rewrite what a person reads."""
    if text.isprintable():
        return text
    return "".join(
        c if c.isprintable() or c == " " else c.encode("unicode_escape").decode("ascii")
        for c in text
    )


def _cell(value: object, width: int | None) -> str:
    text = visible(" ".join(str(value).split()))
    if width is not None and len(text) > width:
        return text[: width - 1] + "…"
    return text


def table(
    headers: Sequence[str],
    rows: Iterable[Sequence[object]],
    *,
    empty: str = "",
    out: TextIO | None = None,
) -> None:
    """Rows under upper-case headers in aligned columns; ``empty`` is printed when there are
    none. Cells are put on one line; all but the last column are cut at ``CELL_WIDTH``."""
    stream = out or sys.stdout
    last = len(headers) - 1
    cells = [
        [_cell(v, None if i == last else CELL_WIDTH) for i, v in enumerate(row)] for row in rows
    ]
    if not cells:
        if empty:
            print(empty, file=stream)
        return
    heads = [h.upper() for h in headers]
    widths = [max(len(heads[i]), *(len(r[i]) for r in cells)) for i in range(len(heads))]
    for row in [heads, *cells]:
        padded = [c.ljust(widths[i]) if i < last else c for i, c in enumerate(row)]
        print("  ".join(padded).rstrip(), file=stream)


def fields(rows: Sequence[tuple[str, object]], out: TextIO | None = None) -> None:
    """``name: value`` lines with the values aligned; empty values are left out."""
    stream = out or sys.stdout
    shown = [(k, visible(str(v))) for k, v in rows if v not in ("", None)]
    width = max((len(k) for k, _ in shown), default=0) + 1
    for name, value in shown:
        print(f"{(name + ':').ljust(width)} {value}", file=stream)


def when(message: Message, field: str) -> str:
    """A timestamp field as ``YYYY-MM-DD HH:MM:SS`` (UTC), ``-`` when unset."""
    if not message.HasField(field):
        return "-"
    stamp: datetime = getattr(message, field).ToDatetime(tzinfo=UTC)
    return stamp.strftime("%Y-%m-%d %H:%M:%S")


def enum(enum_type: Any, number: int, prefix: str) -> str:
    """An enum value's name without its prefix, in lower case (``MODEL_VERSION_STATE_READY``:
    ``ready``)."""
    try:
        return str(enum_type.Name(number)).removeprefix(prefix).lower()
    except ValueError:
        return str(number)


def number(value: float | None) -> str:
    """A metric or score, six significant digits; ``-`` for none."""
    return "-" if value is None else f"{value:.6g}"


def pairs(values: Any, limit: int = 0) -> str:
    """``k=v`` pairs of a map in key order (at most ``limit`` of them, then ``…``)."""
    items = sorted(values.items())
    text = [f"{k}={number(v) if isinstance(v, float) else v}" for k, v in items]
    if limit and len(text) > limit:
        text = [*text[:limit], "…"]
    return " ".join(text)
