"""``mutation``: the unit of work of an idempotent mutating call, answered once per request id."""

from __future__ import annotations

import dataclasses

import pytest

from slipway.core import idempotency
from slipway.core.db import Database
from slipway.core.idempotency import IdempotencyKey, RequestIdReusedError, key_for, mutation

KEY = IdempotencyKey("registry", "CreateModel", "req-1", "alice")


def _stored(db: Database, key: IdempotencyKey) -> bytes | None:
    with db.unit_of_work(read_only=True) as session:
        return idempotency.find(session, key)


def test_a_first_call_has_no_answer_and_remembers_its_own(migrated_db: Database) -> None:
    with mutation(migrated_db, KEY) as (_, call):
        assert call.answered is None
        call.remember(model_id="m1")
    with mutation(migrated_db, KEY) as (_, retry):
        assert retry.answered == {"model_id": "m1"}


def test_the_answer_commits_with_the_change_or_not_at_all(migrated_db: Database) -> None:
    def change() -> None:
        with mutation(migrated_db, KEY) as (_, call):
            call.remember(model_id="m1")
            raise RuntimeError("the change failed after remembering")

    with pytest.raises(RuntimeError):
        change()
    assert _stored(migrated_db, KEY) is None


def test_without_a_request_id_nothing_is_looked_up_or_remembered(migrated_db: Database) -> None:
    key = key_for("registry", "CreateModel", "", "alice")
    assert key is None
    with mutation(migrated_db, key) as (_, call):
        assert call.answered is None
        call.remember(model_id="m1")
        assert call.find() is None


def test_find_sees_an_answer_stored_in_the_same_unit_of_work(migrated_db: Database) -> None:
    with mutation(migrated_db, KEY) as (session, call):
        idempotency.remember_json(session, KEY, {"model_id": "raced"})
        assert call.answered is None  # read when the block began
        assert call.find() == {"model_id": "raced"}


def test_another_caller_with_the_same_request_id_is_another_request(
    migrated_db: Database,
) -> None:
    with mutation(migrated_db, KEY) as (_, call):
        call.remember(model_id="m1")
    other = IdempotencyKey(KEY.service, KEY.method, KEY.request_id, "bob")
    with mutation(migrated_db, other) as (_, call):
        assert call.answered is None


def test_a_digest_unknown_on_either_side_matches_and_a_different_one_is_refused(
    migrated_db: Database,
) -> None:
    with mutation(migrated_db, KEY) as (_, call):  # stored without a digest (an older record)
        call.remember(model_id="m1")
    with mutation(migrated_db, dataclasses.replace(KEY, digest="a" * 64)) as (_, retry):
        assert retry.answered == {"model_id": "m1"}

    digested = dataclasses.replace(KEY, request_id="req-2", digest="a" * 64)
    with mutation(migrated_db, digested) as (_, call):
        call.remember(model_id="m2")
    for same in (digested, dataclasses.replace(digested, digest="")):
        with mutation(migrated_db, same) as (_, retry):
            assert retry.answered == {"model_id": "m2"}
    other = dataclasses.replace(digested, digest="b" * 64)
    with pytest.raises(RequestIdReusedError) as caught, mutation(migrated_db, other):
        pass
    assert caught.value.reason == "REQUEST_ID_REUSED"
