"""``mutation``: the unit of work of an idempotent mutating call, answered once per request id."""

from __future__ import annotations

import pytest

from slipway.core import idempotency
from slipway.core.db import Database
from slipway.core.idempotency import IdempotencyKey, key_for, mutation

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
