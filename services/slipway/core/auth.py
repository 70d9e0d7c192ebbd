"""Bearer-token authentication against a file of token hashes.

The tokens file never holds a token, only its SHA-256 (tokens are 256-bit random strings, so a
plain hash is enough; there is nothing to brute-force). Format::

    {"version": 1,
     "tokens": [{"principal": "alice", "roles": ["developer"], "sha256": "<hex>",
                 "description": "laptop"}]}

A running service picks up a changed file by itself: ``TokenStore`` looks at the file's
modification time, size and inode at most once a second, on the call path (a ``stat``, never a
read, unless the file changed), and re-reads it at once on ``reload`` (SIGHUP). A file that
cannot be read or parsed keeps the tokens loaded before and logs an error: a half-written or
mistyped file neither opens the door nor locks everyone out.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import secrets
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from slipway.core.context import Principal
from slipway.core.errors import InvalidArgumentError, UnauthenticatedError
from slipway.core.logs import get_logger
from slipway.core.reasons import Reason
from slipway.core.roles import ROLES

log = get_logger("slipway.auth")

# How often, at most, the tokens file is looked at for a change (one stat call): a token added or
# revoked is honoured within this time, and a busy service pays one syscall a second for it.
RELOAD_CHECK_SECONDS = 1.0

# What identifies one version of the tokens file: an atomic replace (how `slipway tokens` and
# most editors write) changes the inode, an edit in place the modification time or size.
FileVersion = tuple[int, int, int, int]

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


def _principals(entries: Iterable[TokenEntry]) -> dict[str, Principal]:
    by_hash: dict[str, Principal] = {}
    for entry in entries:
        unknown = entry.roles - ROLES
        if unknown:
            raise InvalidArgumentError(
                f"token of {entry.principal!r} has unknown roles {sorted(unknown)}; "
                f"known roles: {sorted(ROLES)}"
            )
        by_hash[entry.sha256] = Principal(entry.principal, entry.roles)
    return by_hash


def _file_version(path: Path) -> FileVersion:
    stat = path.stat()
    return (stat.st_ino, stat.st_dev, stat.st_mtime_ns, stat.st_size)


def _read_principals(path: Path) -> dict[str, Principal]:
    try:
        document = json.loads(path.read_text())
    except FileNotFoundError as exc:
        raise FileNotFoundError(
            f"tokens file {path} does not exist: create one with `slipway tokens create`, "
            "or start with --insecure-no-auth for a local experiment"
        ) from exc
    return _principals(parse_entries(document, source=str(path)))


class TokenStore:
    """Maps token hashes to principals. Loaded from a file (``load``), it follows the file's
    changes: see the module's docstring."""

    def __init__(
        self,
        entries: Iterable[TokenEntry],
        *,
        path: Path | None = None,
        check_seconds: float = RELOAD_CHECK_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._by_hash = _principals(entries)
        self._path = path  # None: a fixed set of tokens
        self._check_seconds = check_seconds
        self._clock = clock
        self._next_check = clock() + check_seconds  # check_seconds 0: only on reload()
        # The version of the file last read, whether it loaded or failed (so that a broken file
        # is reported once, not every second, and its next change is tried again).
        self._version: FileVersion | None = None

    @classmethod
    def load(
        cls,
        path: Path,
        *,
        check_seconds: float = RELOAD_CHECK_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> TokenStore:
        """The tokens of ``path``; a missing or malformed file fails here, at start-up, where
        a service should refuse to start rather than serve with no tokens."""
        version = _file_version(path) if path.exists() else None
        store = cls((), path=path, check_seconds=check_seconds, clock=clock)
        store._by_hash = _read_principals(path)
        store._version = version
        return store

    @property
    def principal_count(self) -> int:
        """How many tokens are accepted now."""
        return len(self._by_hash)

    def reload(self) -> bool:
        """Re-read the file now (SIGHUP). True when the tokens changed to the file's; False,
        with an error logged, when the file could not be used and the tokens stay as they were."""
        if self._path is None:
            return False
        self._next_check = self._clock() + self._check_seconds
        try:
            version: FileVersion | None = _file_version(self._path)
        except OSError:
            version = None
        return self._reload(version)

    def _reload(self, version: FileVersion | None) -> bool:
        assert self._path is not None
        self._version = version
        try:
            loaded = _read_principals(self._path)
        except (OSError, ValueError, InvalidArgumentError) as exc:
            # ValueError covers JSON that does not parse (JSONDecodeError) and bad UTF-8.
            log.error(
                "tokens file not reloaded: keeping the tokens loaded before",
                tokens_file=str(self._path),
                error=str(exc),
                tokens=len(self._by_hash),
            )
            return False
        before = len(self._by_hash)
        self._by_hash = loaded
        log.info(
            "tokens file reloaded", tokens_file=str(self._path), tokens=len(loaded), before=before
        )
        return True

    def _follow_file(self) -> None:
        """At most once per ``check_seconds``: one stat, and a reload when the file changed."""
        if self._path is None or self._check_seconds <= 0:
            return
        now = self._clock()
        if now < self._next_check:
            return
        self._next_check = now + self._check_seconds
        try:
            version: FileVersion | None = _file_version(self._path)
        except OSError:
            version = None  # gone (mid-rename, or removed): reported once by _reload
        if version != self._version:
            self._reload(version)

    def authenticate(self, authorization: str | None) -> Principal:
        """The principal behind an ``authorization: Bearer <token>`` value."""
        self._follow_file()
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
    token = new_token()
    with _editing(path):
        document: dict[str, object] = {"version": 1, "tokens": []}
        if path.exists():
            document = json.loads(path.read_text())
        entries = parse_entries(document, source=str(path))
        entries.append(TokenEntry(principal, roles, token_hash(token), description))
        _write_entries(path, entries)
    return token


@contextlib.contextmanager
def _editing(path: Path) -> Iterator[None]:
    """Hold the tokens file's edit lock: two `slipway tokens` commands at once (or one and
    `slipway up` adding its admin token) each read, change and replace the file, and without
    the lock the second would write back the file without the first one's change."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path.with_name(f".{path.name}.lock"), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock


def _write_entries(path: Path, entries: Iterable[TokenEntry]) -> None:
    write_private(
        path, json.dumps({"version": 1, "tokens": [e.to_json() for e in entries]}, indent=2) + "\n"
    )


def revoke_tokens(
    path: Path, *, principal: str | None = None, sha256: str | None = None
) -> list[TokenEntry]:
    """Remove every token of ``principal``, or the one token whose SHA-256 is ``sha256`` (the
    whole hash, or a prefix of at least 8 hex digits naming a single token); returns the removed
    entries, written with the same atomic replace as ``add_token``. Running services refuse the
    removed tokens within ``RELOAD_CHECK_SECONDS`` (at once on SIGHUP)."""
    if (principal is None) == (sha256 is None):
        raise InvalidArgumentError("name either a principal or a token hash")
    with _editing(path):
        try:
            document = json.loads(path.read_text())
        except FileNotFoundError:
            raise InvalidArgumentError(f"tokens file {path} does not exist") from None
        entries = parse_entries(document, source=str(path))
        removed = _chosen(entries, principal, sha256, source=path)
        _write_entries(path, [e for e in entries if e not in removed])
    return removed


def _chosen(
    entries: list[TokenEntry], principal: str | None, sha256: str | None, *, source: Path
) -> list[TokenEntry]:
    if principal is not None:
        removed = [e for e in entries if e.principal == principal]
        if not removed:
            raise InvalidArgumentError(f"no token of principal {principal!r} in {source}")
        return removed
    wanted = (sha256 or "").strip().lower()
    if len(wanted) < 8 or any(c not in "0123456789abcdef" for c in wanted):
        raise InvalidArgumentError(
            "a token hash is its SHA-256 in hex, or a prefix of at least 8 hex digits "
            "(`slipway tokens list` shows them)"
        )
    removed = [e for e in entries if e.sha256.startswith(wanted)]
    if not removed:
        raise InvalidArgumentError(f"no token with hash {wanted}... in {source}")
    if len(removed) > 1:
        raise InvalidArgumentError(
            f"{len(removed)} tokens have hashes starting {wanted}: give more digits"
        )
    return removed


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
