"""Resource names shared by the services (`models/{model}`, versions, aliases, labels) and the
rules for the ids inside them.

Names are only ever looked up in the database: no name or id becomes a file path.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from slipway.core.errors import InvalidArgumentError
from slipway.core.reasons import Reason

# The id of a resource created from now on (models, aliases, monitoring policies): RFC 1034
# style, a lowercase letter first, lowercase letters, digits and '-', no trailing '-', at most 63
# characters. Written in the proto comments of every id field; change both together.
RESOURCE_ID = re.compile(r"[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?")
RESOURCE_ID_RULE = (
    "must be 1-63 characters: lowercase letters, digits and '-', starting with a letter "
    "and not ending with '-'"
)
# What a lookup accepts: wider than RESOURCE_ID, so ids and aliases stored before the rule was
# enforced (for example `Fraud_Model.v2`, `my_alias`) stay readable, movable and deletable.
MODEL_ID = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._-]{0,126}[A-Za-z0-9])?")
ALIAS = re.compile(r"[a-z](?:[a-z0-9_-]{0,62})")
# ASCII digits only: str.isdigit() also takes '²' (which int() refuses) and '٣' (which it reads).
VERSION_NUMBER = re.compile(r"[1-9][0-9]{0,17}")
# Labels, as in the proto comments: keys 1-63 characters, a lowercase letter first, then
# lowercase letters, digits, '_' and '-'; values 0-63 of the same characters; at most 64 labels.
LABEL_KEY = re.compile(r"[a-z][a-z0-9_-]{0,62}")
LABEL_VALUE = re.compile(r"[a-z0-9_-]{0,63}")
LABEL_RULE = (
    "label keys are 1-63 lowercase letters, digits, '_' or '-', starting with a letter; "
    "values are 0-63 lowercase letters, digits, '_' or '-'"
)
MAX_LABELS = 64
MAX_LABEL_VALUE = 63
MAX_DESCRIPTION = 4096  # descriptions of models and versions
MAX_TEXT = 16_384  # reasons and other free text


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


def check_new_model_id(model_id: str, field: str = "model_id") -> str:
    """The id of a model about to be created: :data:`RESOURCE_ID` (lookups take more)."""
    if not model_id:
        raise _fail(field, "is required", Reason.MODEL_ID_REQUIRED)
    if not RESOURCE_ID.fullmatch(model_id):
        raise _fail(field, RESOURCE_ID_RULE, Reason.INVALID_MODEL_ID)
    return model_id


def check_new_alias(alias: str, field: str = "alias") -> str:
    """An alias about to be created: :data:`RESOURCE_ID` (an existing one may be wider)."""
    if not alias:
        raise _fail(field, "is required", Reason.ALIAS_REQUIRED)
    if not RESOURCE_ID.fullmatch(alias):
        raise _fail(field, RESOURCE_ID_RULE, Reason.INVALID_ALIAS)
    return alias


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


def label_valid(key: str, value: str) -> bool:
    """Whether one label follows :data:`LABEL_RULE`."""
    return bool(LABEL_KEY.fullmatch(key) and LABEL_VALUE.fullmatch(value))


def check_labels(labels: dict[str, str], field: str = "labels") -> dict[str, str]:
    if len(labels) > MAX_LABELS:
        raise _fail(field, f"at most {MAX_LABELS} labels", Reason.TOO_MANY_LABELS)
    for key, value in labels.items():
        if not label_valid(key, value):
            raise _fail(f"{field}[{key!r}]"[:200], LABEL_RULE, Reason.INVALID_LABEL)
    return dict(labels)


def check_text(value: str, field: str, *, maximum: int = MAX_TEXT) -> str:
    if len(value) > maximum:
        raise _fail(field, f"at most {maximum} characters", Reason.TEXT_TOO_LONG)
    return _check_storable(value, field)


def check_description(value: str, field: str) -> str:
    """A model's or version's description: at most :data:`MAX_DESCRIPTION` characters."""
    return check_text(value, field, maximum=MAX_DESCRIPTION)


def _check_storable(value: str, field: str) -> str:
    # PostgreSQL text cannot hold NUL, and SQLite would: refused alike on both.
    if "\x00" in value:
        raise _fail(field, "must not contain NUL characters", Reason.INVALID_CHARACTER)
    return value
