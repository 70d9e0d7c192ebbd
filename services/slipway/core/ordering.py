"""Keyset pages over a List's items sorted in memory by an AIP-132 order (``core.filters``
parses it): the registry's and monitoring's Lists read their candidate rows, filter them and page
them here.

Ties are broken by the item's identity in the last key's direction. A page token keeps the last
item's order values and identity (a keyset, not an offset), so items added or removed between
pages neither repeat nor shift the rest.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from datetime import UTC, datetime, timedelta
from functools import cmp_to_key
from typing import Any

from slipway.core.errors import InvalidArgumentError
from slipway.core.filters import Getter, Order
from slipway.core.reasons import Reason

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _sort_value(entity: Any, field: str, get: Getter) -> Any:
    """An order field as it is sorted and kept in a page cursor: JSON-safe, so times become
    integer microseconds since the epoch (exact, and they round-trip through a page token)."""
    value = get(entity, field)
    if isinstance(value, datetime):
        return (value - _EPOCH) // timedelta(microseconds=1)
    return value


@dataclass(frozen=True)
class Page:
    """A page of a keyset-ordered list: items, and the cursor after the last one if more;
    ``cursors`` holds the cursor after each item, for a caller that ends the page early."""

    items: list[Any]
    next_cursor: dict[str, Any] | None
    cursors: list[dict[str, Any]] = dataclass_field(default_factory=list)


def _compare_values(mine: Any, theirs: Any) -> int:
    """-1, 0 or 1; a missing value (None) sorts after any present one."""
    if mine is None or theirs is None:
        return (mine is None) - (theirs is None)
    try:
        return int(mine > theirs) - int(mine < theirs)
    except TypeError:  # values of different types (a map's key holding both) never compare
        return (type(mine).__name__ > type(theirs).__name__) - (
            type(mine).__name__ < type(theirs).__name__
        )


Position = tuple[list[Any], Any]  # an item's order values, then its identity


def _rank(value: Any, descending: bool) -> tuple[bool, Any]:
    """A value's sort key in its direction: missing values rank after present ones either way."""
    return (value is None) != descending, 0 if value is None else value


def _sorted(keyed: list[tuple[Position, Any]], order: Order) -> list[tuple[Position, Any]]:
    """``keyed`` in the order, by C-level sorts (a comparison function per pair cost 5x more on
    10k models): one sort when every key has the same direction, else stable sorts from the
    least significant key to the most."""
    directions = {descending for _, descending in order}
    if len(directions) == 1:
        descending = order[0][1]

        def whole(entry: tuple[Position, Any]) -> tuple[Any, ...]:
            values, ident = entry[0]
            if len(values) == 1:  # the usual case, without a generator
                value = values[0]
                return ((value is None) != descending, 0 if value is None else value, ident)
            return (*(_rank(v, descending) for v in values), ident)

        return sorted(keyed, key=whole, reverse=descending)
    keyed = sorted(keyed, key=lambda entry: entry[0][1], reverse=order[-1][1])
    for index in reversed(range(len(order))):
        descending = order[index][1]

        def one(entry: tuple[Position, Any], i: int = index, d: bool = descending) -> Any:
            return _rank(entry[0][0][i], d)

        keyed.sort(key=one, reverse=descending)
    return keyed


def page_of(
    items: list[Any],
    order: Order,
    identity: Callable[[Any], Any],
    cursor: Mapping[str, Any] | None,
    limit: int,
    get: Getter,
) -> Page:
    """Sort by the order's fields then ``identity`` (in the last key's direction) and return the
    page after ``cursor`` (a keyset, not an offset). Missing values sort last either way."""

    def compare(mine: Position, theirs: Position) -> int:
        for (_, descending), a, b in zip(order, mine[0], theirs[0], strict=True):
            result = _compare_values(a, b)
            if result:
                both = a is not None and b is not None
                return -result if descending and both else result
        result = _compare_values(mine[1], theirs[1])
        return -result if order[-1][1] else result

    keyed: list[tuple[Position, Any]] = [
        (([_sort_value(i, f, get) for f, _ in order], identity(i)), i) for i in items
    ]
    try:
        keyed = _sorted(keyed, order)
    except TypeError:  # values of different types under one key: the slow, total order

        def by_compare(mine: tuple[Position, Any], theirs: tuple[Position, Any]) -> int:
            return compare(mine[0], theirs[0])

        keyed.sort(key=cmp_to_key(by_compare))
    start = 0
    if cursor is not None:
        values, last = cursor.get("v"), cursor.get("id")
        if not isinstance(values, list) or len(values) != len(order):
            raise InvalidArgumentError.for_field(
                "page_token",
                "is not a page token returned by this method for this request",
                reason=Reason.INVALID_PAGE_TOKEN,
            )
        # The first item after the cursor (which need not exist any more), by bisection.
        high = len(keyed)
        while start < high:
            middle = (start + high) // 2
            if compare(keyed[middle][0], (values, last)) > 0:
                high = middle
            else:
                start = middle + 1
    page = keyed[start : start + limit]
    cursors = [{"v": values, "id": last} for (values, last), _ in page]
    items = [item for _, item in page]
    if len(keyed) - start <= limit or not page:
        return Page(items, None, cursors)
    return Page(items, cursors[-1], cursors)
