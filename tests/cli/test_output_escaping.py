"""Text that reached the server from anyone (an unauthenticated caller's reason, a resource
name) is shown to people with its control characters escaped: a terminal escape cannot erase
or forge a line of `slipway audit list`, nor a bidi override reorder one; in the lineage report,
Markdown and HTML in it are escaped too, so it can neither format the report nor inject HTML."""

from __future__ import annotations

import io
import re

from slipway.cli.lineage import markdown_to_text
from slipway.cli.lineage_render import _line, _row, to_markdown
from slipway.cli.output import fields, table, visible
from slipway.lineage.v1 import lineage_report_pb2
from slipway.registry.v1 import model_version_pb2

FORGED = "x\x1b[2K\r2026-12-01  approver  registry.SetModelAlias  OK\u202e"


def test_control_characters_are_escaped_and_printable_text_is_kept() -> None:
    assert visible("models/модель 🚀 ok") == "models/модель 🚀 ok"
    shown = visible(FORGED)
    assert "\x1b" not in shown
    assert "\r" not in shown
    assert "\u202e" not in shown
    assert "\\x1b[2K" in shown
    assert "\\u202e" in shown
    assert visible("nul\x00del\x7f") == "nul\\x00del\\x7f"


def test_tables_and_fields_show_no_raw_control_character() -> None:
    out = io.StringIO()
    table(["time", "reason"], [["2026-12-07", FORGED]], out=out)
    fields([("reason", FORGED)], out=out)
    printed = out.getvalue()
    assert "\x1b" not in printed
    assert "\r" not in printed
    assert "\u202e" not in printed
    # One line per row: the forged carriage return did not start a new one.
    assert len(printed.splitlines()) == 3


def test_the_lineage_report_escapes_control_characters() -> None:
    assert "\x1b" not in _line(FORGED)
    assert "\x1b" not in _row(["a", FORGED])


HOSTILE = "<script>alert(1)</script> | **bold** `tick` _x_ [l](http://e) # \x1b[2K\rforged"


def hostile_report() -> lineage_report_pb2.LineageReport:
    report = lineage_report_pb2.LineageReport(
        model_version=model_version_pb2.ModelVersion(
            name="models/m/versions/1",
            description=HOSTILE,
            labels={"team": HOSTILE},
            created_by="dev`<b>",
        ),
    )
    report.alias_history.add(
        alias="production", to_version_number=1, reason=HOSTILE
    ).actor.name = "approver"
    report.audit_events.add(
        sequence=1, action="registry.SetModelAlias", resource="models/m|`x`", reason=HOSTILE
    )
    report.warnings.append("- " + HOSTILE)
    return report


def test_the_lineage_report_escapes_markdown_html_and_control_characters() -> None:
    markdown = to_markdown(hostile_report())
    assert "<script" not in markdown  # a "<" inside a code span is shown, not read
    assert "\x1b" not in markdown
    assert "\r" not in markdown
    assert "&lt;script&gt;" in markdown
    assert "\\*\\*bold\\*\\*" in markdown
    assert "\\`tick\\`" in markdown
    assert "\\[l\\](http://e) \\# \\\\x1b\\[2K forged" in markdown
    description = next(line for line in markdown.splitlines() if "**Description**" in line)
    assert description.count("**") == 2  # only the label's own bold marks
    # Table rows keep their columns: every pipe inside a cell is escaped.
    rows = [line for line in markdown.splitlines() if line.startswith("| &lt;script")]
    hostile_rows = [line for line in markdown.splitlines() if "| &lt;script" in line]
    assert not rows
    assert len(hostile_rows) == 2  # the alias move and the audit event
    for line in hostile_rows:
        assert len(re.findall(r"(?<!\\)\|", line)) in (6, 8), line  # 5 and 7 columns
    # A name with backticks stays one code span; a warning cannot open a nested list.
    assert "``dev`<b>``" in markdown
    assert "- \\- &lt;script&gt;" in markdown
    # The text format shows what was written, control characters escaped.
    text = markdown_to_text(markdown)
    shown = visible(" ".join(HOSTILE.split()))
    assert f"Description: {shown}" in text
    assert "dev`<b>" in text
    assert text.count(shown) >= 4
