"""Text that reached the server from anyone (an unauthenticated caller's reason, a resource
name) is shown to people with its control characters escaped: a terminal escape cannot erase
or forge a line of `slipway audit list`, nor a bidi override reorder one."""

from __future__ import annotations

import io

from slipway.cli.lineage_render import _line, _row
from slipway.cli.output import fields, table, visible

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
