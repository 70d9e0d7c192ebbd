"""Resource names shared by the services (`models/{model}`, versions, aliases, labels) and the
rules for the ids inside them.

Names are only ever looked up in the database: no name or id becomes a file path.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from slipway.core.errors import InvalidArgumentError
from slipway.core.reasons import Reason

MODEL_ID = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._-]{0,126}[A-Za-z0-9])?")
ALIAS = re.compile(r"[a-z](?:[a-z0-9_-]{0,62})")
# ASCII digits only: str.isdigit() also takes '²' (which int() refuses) and '٣' (which it reads).
VERSION_NUMBER = re.compile(r"[1-9][0-9]{0,17}")
LABEL_KEY = re.compile(r"[a-z][a-z0-9_.-]{0,62}")
MAX_LABELS = 64
MAX_LABEL_VALUE = 256
MAX_TEXT = 16_384


def _fail(field: str, what: str, reason: Reason) -> InvalidArgumentError:
    return InvalidArgumentError.for_field(field, what, reason=reason)


def check_model_id(model_id: str, field: str = "model_id") -> str:
    if not model_id:
        raise _fail(field, "is required", Reason.MODEL_ID_REQUIRED)
    if not MODEL_ID.fullmatch(model_id) or ".." in model_id:
        raise _fail(
            field,
            "must be 1-128 letters, digits, '.', '_' or '-', starting and ending "
            "with a letter or digit (no '..')",
            Reason.INVALID_MODEL_ID,
        )
    return model_id


def check_alias(alias: str, field: str = "alias") -> str:
    if not alias:
        raise _fail(field, "is required", Reason.ALIAS_REQUIRED)
    if not ALIAS.fullmatch(alias):
        raise _fail(
            field,
            "must be 1-63 lowercase letters, digits, '_' or '-', starting with a letter",
            Reason.INVALID_ALIAS,
        )
    return alias


def model_id_of(name: str, field: str = "name") -> str:
    """``models/{model}`` -> the model id."""
    prefix, _, model_id = name.partition("/")
    if prefix != "models" or not model_id:
        raise _fail(field, "must look like models/{model}", Reason.INVALID_NAME)
    return check_model_id(model_id, field)


@dataclass(frozen=True)
class VersionRef:
    """A version addressed by number (``models/m/versions/3``) or alias (``models/m@prod``)."""

    model_id: str
    number: int = 0
    alias: str = ""


def version_ref(name: str, field: str = "name") -> VersionRef:
    if "@" in name:
        model_part, _, alias = name.partition("@")
        return VersionRef(model_id_of(model_part, field), alias=check_alias(alias, field))
    parts = name.split("/")
    if len(parts) != 4 or parts[0] != "models" or parts[2] != "versions":
        raise _fail(
            field,
            "must look like models/{model}/versions/{n} or models/{model}@{alias}",
            Reason.INVALID_NAME,
        )
    model_id = check_model_id(parts[1], field)
    number_text = parts[3]
    if not VERSION_NUMBER.fullmatch(number_text):
        raise _fail(
            field, "version number must be a positive integer", Reason.INVALID_VERSION_NUMBER
        )
    return VersionRef(model_id, number=int(number_text))


def check_labels(labels: dict[str, str], field: str = "labels") -> dict[str, str]:
    if len(labels) > MAX_LABELS:
        raise _fail(field, f"at most {MAX_LABELS} labels", Reason.TOO_MANY_LABELS)
    for key, value in labels.items():
        if not LABEL_KEY.fullmatch(key):
            raise _fail(
                f"{field}[{key!r}]"[:200],
                "label keys are 1-63 lowercase letters, "
                "digits, '_', '.', '-', starting with a letter",
                Reason.INVALID_LABEL,
            )
        if len(value) > MAX_LABEL_VALUE:
            raise _fail(
                f"{field}[{key}]",
                f"label values are at most {MAX_LABEL_VALUE} characters",
                Reason.INVALID_LABEL,
            )
        _check_storable(value, f"{field}[{key}]")
    return dict(labels)


def check_text(value: str, field: str) -> str:
    if len(value) > MAX_TEXT:
        raise _fail(field, f"at most {MAX_TEXT} characters", Reason.TEXT_TOO_LONG)
    return _check_storable(value, field)


def _check_storable(value: str, field: str) -> str:
    # PostgreSQL text cannot hold NUL, and SQLite would: refused alike on both.
    if "\x00" in value:
        raise _fail(field, "must not contain NUL characters", Reason.INVALID_CHARACTER)
    return value
