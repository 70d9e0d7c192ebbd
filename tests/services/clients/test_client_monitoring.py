"""The blocking MonitoringClient against a real monitoring service: policies created, listed
across pages, updated with etags and deleted; ground truth built from numpy and ingested; a
report; alerts listed, read and watched until a deadline."""

from __future__ import annotations

import asyncio
from pathlib import Path

import numpy as np
import pytest

from slipway import client
from slipway.core.db import Database
from slipway.monitoring.v1 import monitoring_policy_pb2
from support.monitoring import known_models, running_monitoring
from support.registry import SQLITE_ONLY, Registry
from support.serving import Trained, register

pytestmark = SQLITE_ONLY


def policy(model: str) -> monitoring_policy_pb2.MonitoringPolicy:
    return monitoring_policy_pb2.MonitoringPolicy(
        model=model, min_samples=100, window=monitoring_policy_pb2.WindowSpec(row_count=200)
    )


@pytest.mark.slow
async def test_policies_ground_truth_reports_and_alerts(
    migrated_db: Database,
    tmp_path: Path,
    tokens_file: Path,
    tokens: dict[str, str],
    registry: Registry,
    service_token_file: Path,
    iris_model: Trained,
    connect_as,
):
    await register(registry, service_token_file, "iris", iris_model, alias="production")
    await known_models(registry, "m0", "m1", "m2")  # policies name models of the registry
    async with running_monitoring(
        migrated_db,
        tmp_path / "monitoring",
        tokens_file,
        tokens,
        registry.address,
        service_token_file,
        evaluate=False,
    ) as monitoring:
        suite = connect_as({"monitoring": monitoring.address})

        def scenario() -> None:
            created = [
                suite.monitoring.create_policy(
                    policy(f"models/m{i}"), policy_id=f"p{i}", reason="watch"
                )
                for i in range(3)
            ]
            assert [p.name for p in suite.monitoring.list_policies(page_size=2)] == [
                p.name for p in created
            ]
            m1 = suite.monitoring.list_policies(filter='model = "models/m1"')
            assert [p.name for p in m1] == ["monitoringPolicies/p1"]
            with pytest.raises(client.InvalidArgument) as invalid:
                suite.monitoring.create_policy(policy("m9"))
            assert "monitoring_policy.model" in [v.field for v in invalid.value.field_violations]

            change = monitoring_policy_pb2.MonitoringPolicy(
                name=created[0].name, etag=created[0].etag, description="fruit drift"
            )
            updated = suite.monitoring.update_policy(change, ["description"], reason="say why")
            assert updated.description == "fruit drift"
            with pytest.raises(client.Aborted):
                suite.monitoring.update_policy(change, ["description"])
            suite.monitoring.delete_policy(created[2].name, reason="not needed")
            with pytest.raises(client.NotFound) as gone:
                suite.monitoring.get_policy(created[2].name)
            assert gone.value.reason == "POLICY_NOT_FOUND"

            labelled = suite.monitoring.ingest_ground_truth(
                [client.ground_truth("not-yet-predicted", np.array([0, 2, 1]), model="iris")]
            )
            assert (labelled.matched_count, labelled.pending_count) == (0, 1)
            report = suite.monitoring.compute_report("models/iris@production")
            assert report.model_version == "models/iris/versions/1"

            assert list(suite.monitoring.list_alerts(filter='model = "models/iris"')) == []
            with pytest.raises(client.NotFound):
                suite.monitoring.get_alert("alerts/nope")
            with pytest.raises(client.DeadlineExceeded):
                list(suite.monitoring.watch_alerts(model="iris", include_firing=True, timeout=0.5))

        await asyncio.to_thread(scenario)
