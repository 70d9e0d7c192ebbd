"""Audit keys on disk: the HMAC key the services hash events under, and the keys a verifier
holds (the current one and the retired ones, after a rotation).

A key file holds at least 32 bytes of secret (trailing whitespace is not part of it), for
example 64 hex digits from ``openssl rand -hex 32``; in Kubernetes, a Secret mounted as a file.
It is read at start and never written to the database: only its id is, with every event.

Rotation: write a new key file, point the services' ``audit_key_file`` at it and restart them;
keep the old file in the folder of retired keys (``audit_retired_keys_dir``) so the events it
signed still verify. A verifier given a folder takes every file in it.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterable
from pathlib import Path

from slipway.core.audit.chain import ChainKey, Keyring

KEY_FILE_NAME = "audit.key"


def read_key_file(path: Path) -> ChainKey:
    """The key in ``path``; ValueError (naming the file) when it is too short to be one."""
    secret = path.read_bytes().rstrip()
    try:
        return ChainKey(secret)
    except ValueError as exc:
        raise ValueError(f"{path}: {exc}") from None


def key_files_in(folder: Path) -> list[Path]:
    """The key files of a folder: every regular file, in name order, except hidden ones (a
    mounted Kubernetes Secret also holds ``..data`` links to its own versions)."""
    return sorted(p for p in folder.iterdir() if not p.name.startswith(".") and p.is_file())


def read_keyring(
    files: Iterable[Path] = (), folders: Iterable[Path] = (), *, unkeyed_until: int = 0
) -> Keyring:
    """A verifier's keys: those of ``files`` and of every key file in ``folders``."""
    paths = [*files, *(p for folder in folders for p in key_files_in(folder))]
    return Keyring.of((read_key_file(p) for p in paths), unkeyed_until)


def generate_key_file(path: Path) -> ChainKey:
    """Write a new random key to ``path`` (readable by its owner only) and return it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(secrets.token_hex(32) + "\n")
    return read_key_file(path)
