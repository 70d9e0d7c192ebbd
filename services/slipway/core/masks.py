"""Update masks (AIP-134): one rule for every Update RPC of every service.

- An omitted (empty) mask means the updatable fields that are set in the request's resource, that
  is, that differ from their default: a non-empty string or map, a non-zero number, a present
  message. A field cannot be cleared this way; name it in the mask to clear it.
- ``*`` alone means every updatable field: fields left unset are cleared (a full replacement).
- Any other path must name an updatable field; an unknown or output-only path, or ``*`` beside
  other paths, is INVALID_ARGUMENT with the reason INVALID_UPDATE_MASK.
- A request that changes nothing (an omitted mask and no field set) is refused the same way.

The servicer resolves the mask and hands the domain the plain set of fields to change.
"""

from __future__ import annotations

from collections.abc import Sequence

from google.protobuf.message import Message

from slipway.core.errors import InvalidArgumentError
from slipway.core.reasons import Reason

WILDCARD = "*"
MAX_ECHO = 64  # the longest path quoted back in an error


def _quoted(path: str) -> str:
    return path if len(path) <= MAX_ECHO else f"{path[:MAX_ECHO]}..."


def fields_set(message: Message) -> frozenset[str]:
    """The names of the fields of ``message`` that are set (differ from their default)."""
    return frozenset(descriptor.name for descriptor, _ in message.ListFields())


def resolve_update_mask(
    paths: Sequence[str],
    updatable: Sequence[str],
    resource: Message,
    field: str = "update_mask",
) -> frozenset[str]:
    """The fields an Update changes, by the rule above; ``updatable`` in the contract's order."""
    allowed = frozenset(updatable)
    given = list(paths)
    if not given:
        chosen = fields_set(resource) & allowed
        if not chosen:
            raise InvalidArgumentError.for_field(
                field,
                "nothing to update: set a field, or name the fields to change "
                f"({', '.join(updatable)}) or * in the mask",
                reason=Reason.INVALID_UPDATE_MASK,
            )
        return chosen
    if WILDCARD in given:
        if given != [WILDCARD]:
            raise InvalidArgumentError.for_field(
                field,
                "* replaces every updatable field and stands alone",
                reason=Reason.INVALID_UPDATE_MASK,
            )
        return allowed
    unknown = [path for path in dict.fromkeys(given) if path not in allowed]
    if unknown:
        raise InvalidArgumentError.for_field(
            field,
            f"cannot update {', '.join(map(_quoted, unknown[:3]))}; "
            f"updatable: {', '.join(updatable)} or *",
            reason=Reason.INVALID_UPDATE_MASK,
        )
    return frozenset(given)
