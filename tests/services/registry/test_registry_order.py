"""AIP-132 orders over the registry's lists, without a server: several keys in mixed directions,
missing values last either way, and keyset pages that together give the whole order once."""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass, field

import pytest

from slipway.core.errors import InvalidArgumentError
from slipway.services.registry.domain.service import _order, _page

KEYS = ("version_number", "create_time", "update_time", "metrics.")


@dataclass(frozen=True)
class Row:
    number: int
    metrics: dict[str, float] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)


def rows() -> list[Row]:
    rng = random.Random(7)  # noqa: S311 (test data, not secrets)
    made = []
    for number in range(1, 61):
        metrics = {} if number % 7 == 0 else {"acc": rng.choice((0.5, 0.7, 0.9))}
        if number % 5:
            metrics["f1"] = rng.choice((0.1, 0.2))
        made.append(Row(number, metrics))
    rng.shuffle(made)
    return made


def expected(items: list[Row], order: tuple[tuple[str, bool], ...]) -> list[int]:
    """The order by hand: per key present values first (in its direction), then missing ones;
    ties by number in the last key's direction."""

    def value(row: Row, key: str) -> float | int | None:
        return row.number if key == "version_number" else row.metrics.get(key.split(".")[1])

    result = sorted(items, key=lambda r: r.number, reverse=order[-1][1])
    for key, descending in reversed(order):
        present = [r for r in result if value(r, key) is not None]
        missing = [r for r in result if value(r, key) is None]
        present.sort(key=lambda r, k=key: value(r, k), reverse=descending)
        result = present + missing
    return [r.number for r in result]


@pytest.mark.parametrize(
    "order_by",
    [
        "version_number",
        "version_number desc",
        "metrics.acc desc",
        "metrics.acc",
        "metrics.acc desc, version_number",
        "metrics.acc, metrics.f1 desc",
        "metrics.f1 desc, metrics.acc desc, version_number desc",
    ],
)
@pytest.mark.parametrize("limit", [1, 7, 50, 100])
def test_pages_follow_the_order_and_cover_every_item_once(order_by: str, limit: int) -> None:
    items = rows()
    order = _order(order_by, "version_number", KEYS)
    seen: list[int] = []
    cursor = None
    for _ in itertools.count():
        page = _page(items, order, lambda r: r.number, cursor, limit)
        seen.extend(r.number for r in page.items)
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert seen == expected(items, order)


def test_a_cursor_whose_item_is_gone_resumes_after_its_place() -> None:
    items = rows()
    order = _order("metrics.acc desc, version_number", "version_number", KEYS)
    first = _page(items, order, lambda r: r.number, None, 10)
    assert first.next_cursor is not None
    last = first.items[-1]
    rest = _page([r for r in items if r != last], order, lambda r: r.number, first.next_cursor, 100)
    assert [r.number for r in first.items + rest.items] == expected(items, order)


@pytest.mark.parametrize(
    "order_by",
    [
        "labels.team",
        "version_number sideways",
        "version_number desc desc",
        "a, version_number",
        "version_number, version_number desc",
        ",",
        "metrics.",
        "a,b,c,d,e",
    ],
)
def test_malformed_orders_are_refused(order_by: str) -> None:
    with pytest.raises(InvalidArgumentError):
        _order(order_by, "version_number", KEYS)
