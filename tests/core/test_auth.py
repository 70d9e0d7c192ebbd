"""The tokens file stores hashes only; tokens map to principals and roles."""

from __future__ import annotations

import json
import stat

import pytest

from slipway.core.auth import TokenStore, add_token, token_hash
from slipway.core.errors import InvalidArgumentError, UnauthenticatedError


def test_tokens_file_holds_hashes_not_tokens_and_is_private(tmp_path):
    path = tmp_path / "tokens.json"
    token = add_token(path, "alice", ["developer", "viewer"], "laptop")
    text = path.read_text()
    assert token not in text
    assert token_hash(token) in text
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    principal = TokenStore.load(path).authenticate(f"Bearer {token}")
    assert principal.name == "alice"
    assert principal.roles == {"developer", "viewer"}


def test_several_tokens_and_wrong_ones(tmp_path):
    path = tmp_path / "tokens.json"
    alice = add_token(path, "alice", ["viewer"])
    bob = add_token(path, "bob", ["approver"])
    store = TokenStore.load(path)
    assert store.authenticate(f"Bearer {alice}").name == "alice"
    assert store.authenticate(f"bearer {bob}").name == "bob"
    for bad in ["", "Bearer", f"Token {alice}", f"Bearer {alice}x"]:
        with pytest.raises(UnauthenticatedError):
            store.authenticate(bad)


def test_unknown_roles_are_refused(tmp_path):
    with pytest.raises(InvalidArgumentError, match="unknown roles"):
        add_token(tmp_path / "tokens.json", "mallory", ["superuser"])
    path = tmp_path / "hand-written.json"
    path.write_text(
        json.dumps(
            {
                "version": 1,
                "tokens": [{"principal": "x", "roles": ["root"], "sha256": token_hash("t")}],
            }
        )
    )
    with pytest.raises(InvalidArgumentError, match="unknown roles"):
        TokenStore.load(path)


def test_missing_tokens_file_says_how_to_make_one(tmp_path):
    with pytest.raises(FileNotFoundError, match="slipway tokens create"):
        TokenStore.load(tmp_path / "absent.json")
