"""Page sizes and page tokens for every List RPC (AIP-158).

A page token is opaque to callers: URL-safe base64 of a small JSON document holding the keyset
cursor (never an offset) and a fingerprint of the request's other parameters, plus a checksum.
A token that was altered, truncated, or is reused with different parameters is refused with
INVALID_ARGUMENT on ``page_token``. The checksum catches corruption and casual edits; a forged
token could only move the cursor, which grants nothing the caller could not ask for anyway.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any

from slipway.core.errors import InvalidArgumentError
from slipway.core.reasons import Reason

DEFAULT_PAGE_SIZE = 50  # every List RPC's comment says: default 50, 1 to 1000
MAX_PAGE_SIZE = 1000
MAX_POSITION = 2**63 - 1  # a BIGINT: a larger value cannot even be bound on SQLite
# Far above any token this module writes (a cursor of a few keys): a longer one is not ours, and
# is refused before it is decoded or parsed.
MAX_TOKEN_LENGTH = 2048
_VERSION = 1


def page_size(
    requested: int, *, default: int = DEFAULT_PAGE_SIZE, maximum: int = MAX_PAGE_SIZE
) -> int:
    """The page size to use: the default for 0, capped at ``maximum``; negative is refused."""
    if requested < 0:
        raise InvalidArgumentError.for_field(
            "page_size", "must not be negative", reason=Reason.INVALID_PAGE_SIZE
        )
    return min(requested or default, maximum)


def fingerprint(parameters: Mapping[str, Any]) -> str:
    """A short digest of the request parameters a token is bound to."""
    text = json.dumps(parameters, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _checksum(body: bytes) -> str:
    return hashlib.sha256(b"slipway-page-token:" + body).hexdigest()[:16]


def encode_page_token(cursor: Mapping[str, Any], parameters: Mapping[str, Any]) -> str:
    body = json.dumps(
        {"v": _VERSION, "c": dict(cursor), "q": fingerprint(parameters)},
        sort_keys=True,
        separators=(",", ":"),
    ).encode()
    raw = body + b"." + _checksum(body).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _invalid() -> InvalidArgumentError:
    return InvalidArgumentError.for_field(
        "page_token",
        "is not a page token returned by this method for this request",
        reason=Reason.INVALID_PAGE_TOKEN,
    )


def cursor_position(cursor: Mapping[str, Any] | None, key: str, *, minimum: int = 0) -> int | None:
    """The integer ``cursor[key]`` (None on the first page). The checksum is no signature: a
    hand-made token may carry any JSON there (true, 2**64, text), which is refused rather than
    handed to a query that fails on it."""
    if cursor is None:
        return None
    value = cursor.get(key)
    if (
        isinstance(value, bool)
        or not isinstance(value, int)
        or not minimum <= value <= MAX_POSITION
    ):
        raise _invalid()
    return value


def decode_page_token(token: str, parameters: Mapping[str, Any]) -> dict[str, Any] | None:
    """The cursor in ``token`` (None for an empty token, i.e. the first page)."""
    if not token:
        return None
    invalid = _invalid()
    if len(token) > MAX_TOKEN_LENGTH:
        raise invalid
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        body, _, checksum = raw.rpartition(b".")
        if not body or checksum.decode() != _checksum(body):
            raise invalid
        document = json.loads(body)
    except (binascii.Error, ValueError, UnicodeDecodeError, RecursionError) as exc:
        # RecursionError: a forged body nested deeper than the parser goes.
        raise invalid from exc
    if (
        not isinstance(document, dict)
        or document.get("v") != _VERSION
        or not isinstance(document.get("c"), dict)
    ):
        raise invalid
    if document.get("q") != fingerprint(parameters):
        raise InvalidArgumentError.for_field(
            "page_token",
            "was issued for a request with different parameters (filter, order)",
            reason=Reason.PAGE_TOKEN_MISMATCH,
        )
    cursor: dict[str, Any] = document["c"]
    return cursor


# The most a List response may carry: the Go and Java gRPC clients refuse a message over 4 MiB
# unless configured otherwise, and a page of 1,000 versions with 30 categorical features in
# full view measured about 69 MiB. The margin leaves room for the response's other fields.
MAX_PAGE_BYTES = 3 * 1024 * 1024
# Per repeated-message item: its tag and its length prefix (at most 1 + 5 bytes).
_ITEM_OVERHEAD = 6


def fit_to_budget(item_sizes: Sequence[int], budget: int | None = None) -> int:
    """How many of the items (their encoded sizes, in page order) fit in a response of at most
    ``budget`` bytes (default MAX_PAGE_BYTES, read at the call), its page token included: the
    page ends before the first item that would cross it. The first item is always kept, however
    large, so that a list still makes progress."""
    budget = MAX_PAGE_BYTES if budget is None else budget
    # Room for the response's next_page_token (never longer than a token decode_page_token
    # accepts) and its tag.
    total = MAX_TOKEN_LENGTH + 8
    for count, size in enumerate(item_sizes):
        total += size + _ITEM_OVERHEAD
        if count and total > budget:
            return count
    return len(item_sizes)
