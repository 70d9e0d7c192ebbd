"""The one AIP-160 filter and AIP-132 order grammar (slipway.core.filters), on plain values and
as SQL on a real database."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, create_engine, insert, select

from slipway.core.errors import InvalidArgumentError
from slipway.core.filters import Comparison, parse, parse_order_by, predicate, sql_condition

FIELDS: dict[str, Any] = {
    "state": {"QUEUED": "queued", "RUNNING": "running", "DONE": "done"},
    "name": str,
    "size": int,
    "create_time": datetime,
    "labels.": str,
}
ROWS = [
    {"name": "models/a", "state": "queued", "size": 1},
    {"name": "models/a/versions/1", "state": "running", "size": 5},
    {"name": "models/a_b", "state": "done", "size": 9},
    {"name": "other", "state": "done", "size": 2**62},
    {"name": "MODELS/A", "state": "done", "size": 2**62 + 1},
]


def read(row: dict[str, Any], field: str) -> Any:
    return row.get(field)


def matched_in_python(text: str) -> list[str]:
    keep = predicate(parse(text, FIELDS), read)
    return [r["name"] for r in ROWS if keep(r)]


def matched_in_sql(text: str) -> list[str]:
    engine = create_engine("sqlite://")
    table = Table(
        "t",
        MetaData(),
        Column("name", String),
        Column("state", String),
        Column("size", Integer),
    )
    table.metadata.create_all(engine)
    with engine.begin() as connection:
        connection.execute(insert(table), ROWS)
        query = select(table.c.name).order_by(table.c.size)
        condition = sql_condition(parse(text, FIELDS), dict(table.c))
        if condition is not None:
            query = query.where(condition)
        return list(connection.scalars(query))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", ["models/a", "models/a/versions/1", "models/a_b", "other", "MODELS/A"]),
        ("state = DONE", ["models/a_b", "other", "MODELS/A"]),
        ("state = QUEUED OR state = RUNNING", ["models/a", "models/a/versions/1"]),
        # OR binds tighter than AND (AIP-160): a AND (b OR c).
        ("size > 1 AND state = QUEUED OR state = RUNNING", ["models/a/versions/1"]),
        ("state != DONE AND size >= 5", ["models/a/versions/1"]),
        ('name = "models/a*"', ["models/a", "models/a/versions/1", "models/a_b"]),
        # `_` and `%` are no wildcards, only a final `*` is.
        ('name = "models/a_*"', ["models/a_b"]),
        ('name = "models/a"', ["models/a"]),
        (f"size >= {2**62}", ["other", "MODELS/A"]),
    ],
)
def test_python_and_sql_agree(text: str, expected: list[str]) -> None:
    assert matched_in_python(text) == expected
    assert matched_in_sql(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "state = LATER",
        "state < DONE",
        'name > "a"',
        "size = many",
        f"size > {2**63}",
        'create_time > "2025-01-01"',
        "colour = red",
        "state = DONE AND",
        "OR state = DONE",
        "state = DONE NOT size = 1",
        '(state = "DONE")',
        'name = "nul\x00"',
        "x" * 2049,
    ],
)
def test_malformed_filters_are_invalid_filter(text: str) -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        parse(text, FIELDS)
    assert caught.value.reason == "INVALID_FILTER"


def test_values_take_their_fields_kind() -> None:
    [[time]] = parse('create_time >= "2025-01-01T00:00:00Z"', FIELDS)
    assert time == Comparison("create_time", ">=", datetime(2025, 1, 1, tzinfo=UTC))
    [[label]] = parse('labels.team = "fraud"', FIELDS)
    assert (label.field, label.value) == ("labels.team", "fraud")
    [[state]] = parse("state = RUNNING", FIELDS)
    assert state.value == "running"


def test_order_by() -> None:
    allowed = ("sequence", "metrics.")
    assert parse_order_by("", "sequence", allowed) == (("sequence", False),)
    assert parse_order_by("sequence desc, metrics.f1", "sequence", allowed) == (
        ("sequence", True),
        ("metrics.f1", False),
    )
    for bad in ("time", "sequence up", "sequence, sequence desc", "metrics."):
        with pytest.raises(InvalidArgumentError) as caught:
            parse_order_by(bad, "sequence", allowed)
        assert caught.value.reason == "INVALID_ORDER_BY"
