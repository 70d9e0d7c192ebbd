"""`slipway lineage`: the lineage and audit report of a version, for people and for scripts.

    slipway lineage models/churn@production                   # text for the terminal
    slipway lineage churn:3 --format markdown -o churn-v3.md  # to paste into a ticket
    slipway lineage churn@production --format json            # for scripts

The registry process's ``LineageService.GetLineageReport`` assembles it; ``lineage_render`` writes
Markdown and JSON; the text format is the Markdown without its markup. Exit 1 when the audit chain
behind the report is broken.
"""

from __future__ import annotations

import argparse
import html
import re
import sys
from pathlib import Path

from slipway.audit.v1 import chain_verification_pb2
from slipway.cli import names
from slipway.cli.connect import clients, command
from slipway.cli.lineage_render import to_json, to_markdown
from slipway.cli.output import EXIT_FAILED, EXIT_OK, CliError

_CELL_SPLIT = re.compile(r"(?<!\\)\|")
# An inline code span (its content as written), or a backslash escape, or bold marks.
_INLINE = re.compile(
    r"(?P<fence>`+)(?P<code>.+?)(?<!`)(?P=fence)(?!`)|\\(?P<escaped>[!-/:-@\[-`{-~])|\*\*"
)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = command(
        subparsers,
        "lineage",
        _lineage,
        "the lineage and audit report of a version",
        description="Who trained the version, on what data, with which spec, "
        "how good it was, its parent, every alias move, the alerts, "
        "and the audit events behind them with the chain's status. "
        "A bare MODEL means MODEL@production. Exit 1 when the audit "
        "chain is broken.",
        json_output=False,
    )
    parser.add_argument(
        "version",
        help="MODEL, MODEL@ALIAS, MODEL:NUMBER or an API name such as models/MODEL@production",
    )
    parser.add_argument("--format", choices=("text", "markdown", "json"), default="text")
    parser.add_argument(
        "--output",
        "-o",
        type=Path,
        default=None,
        help="write the report to this file instead of stdout",
    )


def plain(markdown: str) -> str:
    """A line of the report's Markdown as plain text: code spans keep their content as written,
    escaped marks and HTML entities become the characters they stand for, bold marks go."""
    out: list[str] = []
    last = 0
    for match in _INLINE.finditer(markdown):
        out.append(html.unescape(markdown[last : match.start()]))
        if match["code"] is not None:
            code = match["code"]
            out.append(code[1:-1] if code.startswith(" ") and code.endswith(" ") else code)
        elif match["escaped"] is not None:
            out.append(match["escaped"])
        last = match.end()
    out.append(html.unescape(markdown[last:]))
    return "".join(out)


def _table(lines: list[str]) -> list[str]:
    rows = [
        [plain(c.strip().replace("\\|", "|")) for c in _CELL_SPLIT.split(line.strip())[1:-1]]
        for line in lines
        if not re.fullmatch(r"\|(-+\|)+", line.strip())
    ]
    widths = [max(len(r[i]) for r in rows if i < len(r)) for i in range(len(rows[0]))]
    rows[0] = [h.upper() for h in rows[0]]
    return ["  ".join(c.ljust(widths[i]) for i, c in enumerate(r)).rstrip() for r in rows]


def markdown_to_text(markdown: str) -> str:
    """Headings underlined, tables aligned, code blocks indented, bold and code marks dropped,
    escaped text shown as written."""
    out: list[str] = []
    lines = markdown.splitlines()
    index = 0
    fence = ""  # the fence of the code block we are in, if any
    while index < len(lines):
        line = lines[index]
        index += 1
        if fence:
            if line == fence:
                fence = ""
            else:
                out.append("    " + line)
            continue
        if re.fullmatch(r"```+", line):
            fence = line
            continue
        if line.startswith("|"):
            block = [line]
            while index < len(lines) and lines[index].startswith("|"):
                block.append(lines[index])
                index += 1
            out += _table(block)
            continue
        if match := re.match(r"^(#+) (.*)$", line):
            title = plain(match[2])
            underline = {1: "=", 2: "-"}.get(len(match[1]))
            out += [title, underline * len(title)] if underline else [f"{title}:"]
        else:
            out.append(plain(line))
    return "\n".join(out).rstrip() + "\n"


def _lineage(args: argparse.Namespace) -> int:
    ref = names.version_ref(args.version, default_alias="production")
    with clients(args) as suite:
        report = suite.lineage.report(ref.name)
    if args.format == "json":
        text = to_json(report)
    elif args.format == "markdown":
        text = to_markdown(report)
    else:
        text = markdown_to_text(to_markdown(report))
    if args.output is None:
        sys.stdout.write(text)
    else:
        try:
            args.output.write_text(text)
        except OSError as exc:
            raise CliError(f"cannot write {args.output}: {exc.strerror}") from None
        print(
            f"wrote the lineage report of {report.model_version.name} to {args.output}",
            file=sys.stderr,
        )
    broken = (
        report.HasField("audit_verification")
        and report.audit_verification.status == chain_verification_pb2.CHAIN_STATUS_BROKEN
    )
    if broken:
        print(
            f"error: the audit chain is broken at event {report.audit_verification.break_sequence}",
            file=sys.stderr,
        )
    return EXIT_FAILED if broken else EXIT_OK
