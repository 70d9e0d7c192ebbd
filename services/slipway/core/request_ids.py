"""The one rule every service applies to a caller's request id.

A request id is opaque to Slipway but shown to people: in audit rows, logs, reports and
terminals, where a control character or a bidirectional override could forge what they read.
It is also a stored key (``String(128)`` columns) and PostgreSQL text cannot hold NUL. So it is
at most ``MAX_REQUEST_ID_CHARS`` printable characters everywhere: the registry's and training's
``request_id``, serving's inference ``id`` and monitoring's record and label ids.
"""

from __future__ import annotations

__all__ = ["MAX_REQUEST_ID_CHARS", "REQUEST_ID_RULE", "request_id_fits"]

MAX_REQUEST_ID_CHARS = 128

REQUEST_ID_RULE = f"at most {MAX_REQUEST_ID_CHARS} printable characters"
"""The rule in words, for the message of a refusal."""


def request_id_fits(text: str) -> bool:
    """Whether ``text`` may be stored and shown as a request id (the empty id fits: where an id
    is required, the caller checks that separately)."""
    # str.isprintable is False for NUL, C0/C1 controls, DEL and the Unicode format characters
    # (bidirectional overrides), and True for ordinary spaces and letters of any script.
    return len(text) <= MAX_REQUEST_ID_CHARS and text.isprintable()
