"""A small subset of AIP-160 filters for List calls, evaluated on domain objects.

Grammar: ``term (AND term)*``; ``term := field op value``; ``op`` is one of ``= != < <= > >=``;
fields are plain names (``state``, ``version_number``, ``created_by``) or maps
(``labels.team``, ``metrics.accuracy``); values are numbers, bare words or "quoted strings";
times (``create_time``) are quoted RFC 3339 timestamps with an offset.
Examples: ``state = READY AND metrics.accuracy >= 0.9``, ``labels.team = "fraud"``,
``create_time > "2025-01-01T00:00:00Z"``.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from slipway.core.errors import InvalidArgumentError
from slipway.core.reasons import Reason

_TOKEN = re.compile(
    r'\s*(?:(?P<op><=|>=|!=|=|<|>)|(?P<and>AND\b)|(?P<str>"(?:[^"\\]|\\.)*")'
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


def parse_filter(text: str, fields: Mapping[str, type], get: Getter) -> Predicate:
    """A predicate for ``text``; ``fields`` maps a field (or ``map.`` prefix) to its value type."""
    if len(text) > MAX_FILTER:
        raise _invalid(f"at most {MAX_FILTER} characters")
    tokens = _tokens(text)
    if not tokens:
        return lambda _entity: True
    terms: list[Predicate] = []
    index = 0
    while True:
        if index + 3 > len(tokens):
            raise _invalid("each term needs a field, an operator and a value")
        (field_kind, field), (op_kind, op), (value_kind, raw) = tokens[index : index + 3]
        if field_kind != "word" or op_kind != "op" or value_kind not in ("word", "str"):
            raise _invalid(f"expected 'field op value' near {field!r}")
        terms.append(_term(field, op, raw, value_kind == "str", fields, get))
        index += 3
        if index == len(tokens):
            break
        if tokens[index][0] != "and":
            raise _invalid("terms are joined with AND")
        index += 1
    return lambda entity: all(term(entity) for term in terms)


def _term(
    field: str, op: str, raw: str, quoted: bool, fields: Mapping[str, type], get: Getter
) -> Predicate:
    kind = fields.get(field) or fields.get(field.split(".", 1)[0] + ".")
    if kind is None:
        raise _invalid(f"unknown field {field!r}; known: {', '.join(sorted(fields))}")
    text = _unquote(raw) if quoted else raw
    value: Any
    if kind is str:
        value = text
        if op not in ("=", "!="):
            raise _invalid(f"{field} can only be compared with = or !=")
    elif kind is datetime:
        value = _timestamp(field, text)
    else:
        try:
            value = kind(text)
        except ValueError as exc:
            raise _invalid(f"{field} needs a {kind.__name__} value, not {text!r}") from exc
    compare = _OPS[op]

    def matches(entity: Any) -> bool:
        actual = get(entity, field)
        if actual is None:
            return op == "!="
        try:
            return bool(compare(actual, value))
        except TypeError:
            return False

    return matches
