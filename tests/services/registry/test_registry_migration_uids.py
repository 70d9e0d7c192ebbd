"""Migration 0008 on a registry written before it: every model and version gets its own UUID4,
and models deleted from then on keep their version counters."""

from __future__ import annotations

import uuid

from sqlalchemy import text

from slipway.core.bootstrap import connect_database
from slipway.schema.migrate import downgrade, upgrade

NOW = "2026-01-01 00:00:00+00:00"


def test_existing_models_and_versions_get_distinct_uids(database_url: str) -> None:
    upgrade(database_url, "0007")
    db = connect_database(database_url)
    try:
        with db.unit_of_work() as session:
            for pk, model_id in ((1, "legacy"), (2, "Legacy_Model.v2")):
                session.execute(
                    text(
                        "INSERT INTO registry_models (id, model_id, description, labels, "
                        "latest_version_number, created_by, create_time, update_time, revision) "
                        "VALUES (:pk, :model_id, '', '{}', 1, 'u', :now, :now, 1)"
                    ),
                    {"pk": pk, "model_id": model_id, "now": NOW},
                )
                session.execute(
                    text(
                        "INSERT INTO registry_model_versions (model_pk, number, state, "
                        "state_message, description, labels, artifact_size, artifact_format, "
                        "sample_size, sample_format, signature, framework_versions, metrics, "
                        "params, lineage, reference_profile, created_by, create_time, "
                        "update_time, revision) VALUES (:pk, 1, 'FAILED', '', '', '{}', 0, "
                        "'skops', 0, '', '{}', '{}', '{}', '{}', '{}', '{}', 'u', :now, :now, 1)"
                    ),
                    {"pk": pk, "now": NOW},
                )
    finally:
        db.dispose()

    upgrade(database_url)
    db = connect_database(database_url)
    try:
        with db.unit_of_work(read_only=True) as session:
            uids = [
                *session.execute(text("SELECT uid FROM registry_models")).scalars(),
                *session.execute(text("SELECT uid FROM registry_model_versions")).scalars(),
            ]
            retired = session.execute(text("SELECT count(*) FROM registry_retired_models"))
            assert retired.scalar() == 0
    finally:
        db.dispose()
    assert len(uids) == 4
    assert len(set(uids)) == 4
    assert all(uuid.UUID(u).version == 4 for u in uids)
    downgrade(database_url, "0007")  # and back, for an operator who must: nothing is lost
    upgrade(database_url)
    db = connect_database(database_url)
    try:
        with db.unit_of_work(read_only=True) as session:
            versions = session.execute(text("SELECT count(*) FROM registry_model_versions"))
            assert versions.scalar() == 2
    finally:
        db.dispose()
