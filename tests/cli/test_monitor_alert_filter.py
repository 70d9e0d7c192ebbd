"""`slipway monitor alerts` turns its flags into the one AIP-160 filter ListAlerts takes."""

from __future__ import annotations

import argparse

from slipway.cli.monitor import alerts_filter
from slipway.core.filters import parse_filter
from slipway.services.monitoring.domain.alerts import FILTER_FIELDS


def _args(**given: object) -> argparse.Namespace:
    values: dict[str, object] = {
        "model": "",
        "policy": "",
        "state": None,
        "kind": [],
        "since": None,
        "until": None,
        "filter": "",
    }
    values.update(given)
    return argparse.Namespace(**values)


def test_the_flags_become_one_filter() -> None:
    assert alerts_filter(_args(), "") == ""
    text = alerts_filter(
        _args(
            model="iris",
            policy="nightly",
            state="firing",
            kind=["data_drift", "performance"],
            since="2026-01-02T03:04:05Z",
            filter="severity = CRITICAL",
        ),
        "models/iris/versions/3",
    )
    assert text == (
        'model = "models/iris" AND model_version = "models/iris/versions/3" AND '
        'policy = "monitoringPolicies/nightly" AND state = FIRING AND '
        "kind = DATA_DRIFT OR kind = PERFORMANCE AND "
        'fire_time >= "2026-01-02T03:04:05Z" AND severity = CRITICAL'
    )
    parse_filter(text, FILTER_FIELDS, getattr)  # what the service accepts
