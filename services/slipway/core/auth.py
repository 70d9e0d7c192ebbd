"""Bearer-token authentication against a file of token hashes.

The tokens file never holds a token, only its SHA-256 (tokens are 256-bit random strings, so a
plain hash is enough; there is nothing to brute-force). Format::

    {"version": 1,
     "tokens": [{"principal": "alice", "roles": ["developer"], "sha256": "<hex>",
                 "description": "laptop"}]}
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from slipway.core.context import Principal
from slipway.core.errors import InvalidArgumentError, UnauthenticatedError
from slipway.core.reasons import Reason
from slipway.core.roles import ROLES

TOKEN_PREFIX = "slw_"  # noqa: S105  (a prefix that makes leaked tokens easy to spot)


def new_token() -> str:
    """A fresh random bearer token."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class TokenEntry:
    principal: str
    roles: frozenset[str]
    sha256: str
    description: str = ""

    def to_json(self) -> dict[str, object]:
        return {
            "principal": self.principal,
            "roles": sorted(self.roles),
            "sha256": self.sha256,
            "description": self.description,
        }


class TokenStore:
    """Maps token hashes to principals; loaded once at start-up."""

    def __init__(self, entries: Iterable[TokenEntry]) -> None:
        self._by_hash: dict[str, Principal] = {}
        for entry in entries:
            unknown = entry.roles - ROLES
            if unknown:
                raise InvalidArgumentError(
                    f"token of {entry.principal!r} has unknown roles {sorted(unknown)}; "
                    f"known roles: {sorted(ROLES)}"
                )
            self._by_hash[entry.sha256] = Principal(entry.principal, entry.roles)

    @classmethod
    def load(cls, path: Path) -> TokenStore:
        try:
            document = json.loads(path.read_text())
        except FileNotFoundError as exc:
            raise FileNotFoundError(
                f"tokens file {path} does not exist: create one with `slipway tokens create`, "
                "or start with --insecure-no-auth for a local experiment"
            ) from exc
        return cls(parse_entries(document, source=str(path)))

    def authenticate(self, authorization: str | None) -> Principal:
        """The principal behind an ``authorization: Bearer <token>`` value."""
        if not authorization:
            raise UnauthenticatedError(
                "missing bearer token: send metadata 'authorization: Bearer <token>'",
                reason=Reason.TOKEN_MISSING,
            )
        scheme, _, token = authorization.strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise UnauthenticatedError(
                "authorization metadata must be 'Bearer <token>'", reason=Reason.TOKEN_MALFORMED
            )
        principal = self._by_hash.get(token_hash(token.strip()))
        if principal is None:
            raise UnauthenticatedError("invalid bearer token", reason=Reason.TOKEN_INVALID)
        return principal


def parse_entries(document: object, *, source: str) -> list[TokenEntry]:
    if not isinstance(document, dict) or not isinstance(document.get("tokens"), list):
        raise InvalidArgumentError(f"{source}: expected an object with a 'tokens' list")
    entries = []
    for i, item in enumerate(document["tokens"]):
        try:
            entries.append(
                TokenEntry(
                    principal=str(item["principal"]),
                    roles=frozenset(str(r) for r in item["roles"]),
                    sha256=str(item["sha256"]).lower(),
                    description=str(item.get("description", "")),
                )
            )
        except (KeyError, TypeError) as exc:
            raise InvalidArgumentError(f"{source}: token entry {i} lacks {exc}") from exc
    return entries


def add_token(path: Path, principal: str, roles: Iterable[str], description: str = "") -> str:
    """Append a new token for ``principal`` to the file (created 0600) and return the token."""
    roles = frozenset(roles)
    unknown = roles - ROLES
    if unknown:
        raise InvalidArgumentError(f"unknown roles {sorted(unknown)}; known: {sorted(ROLES)}")
    document: dict[str, object] = {"version": 1, "tokens": []}
    if path.exists():
        document = json.loads(path.read_text())
    token = new_token()
    entries = parse_entries(document, source=str(path))
    entries.append(TokenEntry(principal, roles, token_hash(token), description))
    write_private(
        path, json.dumps({"version": 1, "tokens": [e.to_json() for e in entries]}, indent=2) + "\n"
    )
    return token


def write_private(path: Path, text: str) -> None:
    """Write a file readable only by its owner, atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
    os.replace(tmp, path)


def own_principal(token_file: Path | None, tokens_file: Path | None, *, fallback: str) -> Principal:
    """The principal a service's own token stands for (the token it presents to its peers,
    looked up in its tokens file), so that what the service does by itself is recorded under
    the same name its calls carry; ``fallback`` (role ``service``) when either file is
    missing or the token is not in the file."""
    try:
        if token_file is not None and tokens_file is not None:
            token = token_file.read_text().strip()
            return TokenStore.load(tokens_file).authenticate(f"Bearer {token}")
    except (OSError, ValueError, UnauthenticatedError, InvalidArgumentError):
        pass
    return Principal(fallback, frozenset({"service"}))
