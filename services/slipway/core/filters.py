"""The one filter (AIP-160 subset) and order (AIP-132) grammar of every List call.

Filter grammar: ``term (AND term)*``; ``term := comparison (OR comparison)*`` (OR binds tighter
than AND, as in AIP-160, so no parentheses are needed); ``comparison := field op value``; ``op``
is one of ``= != < <= > >=``; fields are plain names (``state``, ``version_number``,
``created_by``) or maps (``labels.team``, ``metrics.accuracy``); values are numbers, bare words
or "quoted strings"; times (``create_time``) are quoted RFC 3339 timestamps with an offset; a
string compared with ``=`` and ending in ``*`` matches by prefix (``resource = "models/a/*"``).
Examples: ``state = READY AND metrics.accuracy >= 0.9``, ``labels.team = "fraud"``,
``create_time > "2025-01-01T00:00:00Z"``, ``state = QUEUED OR state = RUNNING``.

A parsed filter is plain data (:class:`Comparison` terms), so a service evaluates it on domain
objects (:func:`predicate`) or its storage turns it into a query (:func:`sql_condition`).
Order grammar: comma-separated keys, each optionally followed by ``desc`` (or ``asc``).
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, and_, func, or_

from slipway.core.errors import InvalidArgumentError
from slipway.core.reasons import Reason

_TOKEN = re.compile(
    r'\s*(?:(?P<op><=|>=|!=|=|<|>)|(?P<and>AND\b)|(?P<or>OR\b)|(?P<str>"(?:[^"\\]|\\.)*")'
    r"|(?P<word>[A-Za-z0-9_.+\-]+))"
)
_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "=": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
MAX_FILTER = 2048
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1

Predicate = Callable[[Any], bool]
# How to read a field of an entity; returns None when the entity has no such value.
Getter = Callable[[Any, str], Any]


def _invalid(message: str) -> InvalidArgumentError:
    return InvalidArgumentError.for_field("filter", message, reason=Reason.INVALID_FILTER)


def _tokens(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    position = 0
    while position < len(text):
        if text[position:].strip() == "":
            break
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise _invalid(f"unexpected text at position {position}: {text[position:][:20]!r}")
        kind = match.lastgroup or ""
        out.append((kind, match.group(kind)))
        position = match.end()
    return out


def _unquote(raw: str) -> str:
    """The value of a "quoted string": backslash escapes decoded, other characters kept as they
    are (``unicode_escape`` alone would read non-ASCII text as Latin-1 bytes and garble it)."""
    try:
        return raw[1:-1].encode("latin-1", "backslashreplace").decode("unicode_escape")
    except UnicodeDecodeError as exc:
        raise _invalid(f"bad escape in {raw[:40]!r}") from exc


def _timestamp(field: str, text: str) -> datetime:
    """An RFC 3339 time with its offset, for example ``2025-01-01T00:00:00Z``."""
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        value = None
    if value is None or value.tzinfo is None or "T" not in text.upper():
        raise _invalid(
            f"{field} needs an RFC 3339 time with its offset in quotes, for example "
            f'"2025-01-01T00:00:00Z", not {text[:40]!r}'
        )
    return value


# A field's kind: a value type, or an enum's words mapped to their values.
Kind = type | Mapping[str, Any]


@dataclass(frozen=True)
class Comparison:
    """``field op value``; ``value`` already converted to the field's kind."""

    field: str
    op: str
    value: Any

    @property
    def prefix(self) -> str | None:
        """The prefix a ``= "text*"`` comparison matches by, else None."""
        if self.op == "=" and isinstance(self.value, str) and self.value.endswith("*"):
            return self.value[:-1]
        return None


# AND of ORs: every inner tuple must have one comparison that holds.
Filter = tuple[tuple[Comparison, ...], ...]


def parse(text: str, fields: Mapping[str, Kind]) -> Filter:
    """The filter ``text``; ``fields`` maps a field (or ``map.`` prefix) to its kind."""
    if len(text) > MAX_FILTER:
        raise _invalid(f"at most {MAX_FILTER} characters")
    tokens = _tokens(text)
    if not tokens:
        return ()
    terms: list[tuple[Comparison, ...]] = []
    alternatives: list[Comparison] = []
    index = 0
    while True:
        if index + 3 > len(tokens):
            raise _invalid("each term needs a field, an operator and a value")
        (field_kind, field), (op_kind, op), (value_kind, raw) = tokens[index : index + 3]
        if field_kind != "word" or op_kind != "op" or value_kind not in ("word", "str"):
            raise _invalid(f"expected 'field op value' near {field!r}")
        alternatives.append(_comparison(field, op, raw, value_kind == "str", fields))
        index += 3
        if index == len(tokens) or tokens[index][0] == "and":
            terms.append(tuple(alternatives))
            alternatives = []
        if index == len(tokens):
            break
        if tokens[index][0] not in ("and", "or"):
            raise _invalid("terms are joined with AND or OR")
        index += 1
    return tuple(terms)


def predicate(flt: Filter, get: Getter) -> Predicate:
    """Whether an entity matches ``flt``; ``get`` reads a field of it (None when absent)."""

    def one(entity: Any, comparison: Comparison) -> bool:
        actual = get(entity, comparison.field)
        if actual is None:
            return comparison.op == "!="
        prefix = comparison.prefix
        if prefix is not None:
            return isinstance(actual, str) and actual.startswith(prefix)
        try:
            return bool(_OPS[comparison.op](actual, comparison.value))
        except TypeError:
            return False

    return lambda entity: all(any(one(entity, c) for c in term) for term in flt)


def parse_filter(text: str, fields: Mapping[str, Kind], get: Getter) -> Predicate:
    """A predicate for ``text`` (see :func:`parse`)."""
    return predicate(parse(text, fields), get)


def sql_condition(
    flt: Filter, columns: Mapping[str, ColumnElement[Any]]
) -> ColumnElement[bool] | None:
    """``flt`` as a SQL condition over ``columns`` (one per field), or None when it is empty.

    The values must already be stored values (enum words map to what the column holds). A
    ``!=`` also matches NULL, as :func:`predicate` treats a missing value."""

    def one(comparison: Comparison) -> ColumnElement[bool]:
        column = columns[comparison.field]
        prefix = comparison.prefix
        if prefix is not None:
            # SQLite's LIKE ignores ASCII case; comparing the leading characters as well keeps
            # the prefix case-sensitive there, as it is on PostgreSQL (LIKE may use an index).
            return and_(
                column.startswith(prefix, autoescape=True),
                func.substr(column, 1, len(prefix)) == prefix,
            )
        if comparison.op == "!=":
            return or_(column != comparison.value, column.is_(None))
        # The operator module's functions build SQL expressions on columns; typed as bool.
        condition: Any = _OPS[comparison.op](column, comparison.value)
        return cast("ColumnElement[bool]", condition)

    if not flt:
        return None
    return and_(*(or_(*(one(c) for c in term)) for term in flt))


def _comparison(
    field: str, op: str, raw: str, quoted: bool, fields: Mapping[str, Kind]
) -> Comparison:
    kind = fields.get(field) or fields.get(field.split(".", 1)[0] + ".")
    if kind is None:
        raise _invalid(f"unknown field {field!r}; known: {', '.join(sorted(fields))}")
    text = _unquote(raw) if quoted else raw
    value: Any
    if isinstance(kind, Mapping):
        if text not in kind:
            raise _invalid(f"{field} is one of {', '.join(kind)}, not {text[:40]!r}")
        value = kind[text]
        if op not in ("=", "!="):
            raise _invalid(f"{field} can only be compared with = or !=")
    elif kind is str:
        value = text
        if op not in ("=", "!="):
            raise _invalid(f"{field} can only be compared with = or !=")
        if "\x00" in text:  # PostgreSQL text cannot hold NUL, even as a parameter
            raise _invalid(f"{field} must not contain NUL characters")
    elif kind is datetime:
        value = _timestamp(field, text)
    else:
        try:
            value = kind(text)
        except ValueError as exc:
            raise _invalid(f"{field} needs a {kind.__name__} value, not {text[:40]!r}") from exc
        if kind is int and not INT64_MIN <= value <= INT64_MAX:
            # A database column holds 64 bits; a larger number must not reach the query.
            raise _invalid(f"{field} must fit in 64 bits")
    return Comparison(field, op, value)


# An order: (field, descending) pairs, most significant first (AIP-132).
Order = tuple[tuple[str, bool], ...]
MAX_ORDER_KEYS = 4


def parse_order_by(order_by: str, default: str, allowed: Sequence[str]) -> Order:
    """``order_by`` per AIP-132: comma-separated fields of ``allowed`` (a trailing ``.`` allows
    every key of a map), each optionally followed by ``desc`` (or ``asc``)."""

    def invalid(what: str) -> InvalidArgumentError:
        return InvalidArgumentError.for_field(
            "order_by",
            f"{what}: use comma-separated fields of {', '.join(allowed)}, each optionally "
            "followed by desc",
            reason=Reason.INVALID_ORDER_BY,
        )

    text = order_by.strip() or default
    keys: list[tuple[str, bool]] = []
    for part in text.split(","):
        words = part.split()
        if not words or len(words) > 2 or (len(words) == 2 and words[1] not in ("asc", "desc")):
            raise invalid("each key is a field and an optional direction")
        field = words[0]
        if not any(
            field.startswith(a) and len(field) > len(a) if a.endswith(".") else field == a
            for a in allowed
        ):
            raise invalid(f"cannot order by {field[:64]!r}")
        if any(field == known for known, _ in keys):
            raise invalid(f"{field[:64]!r} appears twice")
        keys.append((field, len(words) == 2 and words[1] == "desc"))
    if len(keys) > MAX_ORDER_KEYS:
        raise invalid(f"at most {MAX_ORDER_KEYS} keys")
    return tuple(keys)
