"""Output people read: hyperparameters as plain values, a request count that adds up over the
demo's steps, and a lineage report that tells a version upload's audit events apart."""

from __future__ import annotations

import json

from slipway.audit.v1 import audit_event_pb2
from slipway.cli.demo import params_text, traffic_total
from slipway.cli.lineage_render import to_markdown
from slipway.cli.main import build_parser
from slipway.cli.train import build_job
from slipway.core.values import to_pb
from slipway.lineage.v1 import lineage_report_pb2
from slipway.training.v1 import training_job_pb2


def test_best_params_print_as_plain_values() -> None:
    params = {"max_depth": to_pb(8), "criterion": to_pb("gini"), "bootstrap": to_pb(True)}
    assert params_text(params) == "bootstrap=True criterion=gini max_depth=8"
    assert params_text({}) == "none"


def test_the_summary_counts_every_step_s_requests() -> None:
    steps = [
        {"step": 2, "title": "train"},
        {"step": 4, "requests": 30, "failed": 0, "tritonclient_requests": 1},
        {"step": 5, "requests": 40, "failed": 1},
        {"step": 6, "requests": 30, "failed": 0},
        {"step": 7, "requests": 123, "failed": 0},
    ]
    assert traffic_total(steps) == {"requests": 224, "failed": 1}


def _event(sequence: int, payload: dict[str, object]) -> audit_event_pb2.AuditEvent:
    return audit_event_pb2.AuditEvent(
        sequence=sequence,
        action="registry.CreateModelVersion",
        resource="models/m/versions/1",
        payload_json=json.dumps(payload),
    )


def _audit_rows(report: lineage_report_pb2.LineageReport) -> list[str]:
    return [line for line in to_markdown(report).splitlines() if "CreateModelVersion" in line]


def test_a_version_upload_s_events_say_which_step_each_is() -> None:
    report = lineage_report_pb2.LineageReport()
    report.model_version.name = "models/m/versions/1"
    report.audit_events.extend(
        [
            _event(1, {"state": "PENDING", "artifact_sha256": "ab"}),
            _event(2, {"state": "PENDING", "upload": "taken over by a retry of its request"}),
            _event(3, {"state": "READY", "artifact_sha256": "ab"}),
            _event(4, {"state": "FAILED", "message": "sha256 mismatch"}),
        ]
    )
    first, retry, ready, failed = _audit_rows(report)
    assert "`registry.CreateModelVersion`: upload started (PENDING)" in first
    assert "`registry.CreateModelVersion`: upload taken over by a retry (PENDING)" in retry
    assert "`registry.CreateModelVersion`: ready (READY)" in ready
    assert "`registry.CreateModelVersion`: upload failed (FAILED)" in failed


def _split_line(split: dict[str, object]) -> str:
    report = lineage_report_pb2.LineageReport()
    report.model_version.name = "models/m/versions/1"
    job = report.training_job
    job.name = "trainingJobs/j"
    job.task = training_job_pb2.TASK_TYPE_CLASSIFICATION
    job.split.test_fraction = 0.2
    if "stratify" in split:
        job.split.stratify = bool(split["stratify"])
    (line,) = [x for x in to_markdown(report).splitlines() if "Holdout split" in x]
    return line


def test_the_holdout_line_says_whether_the_split_was_stratified() -> None:
    unset, on, off = (
        _split_line({}),
        _split_line({"stratify": True}),
        _split_line({"stratify": False}),
    )
    assert unset.endswith("0.2 of the rows, stratified unless a class has a single row")
    assert on.endswith("0.2 of the rows, stratified")
    assert off.endswith("0.2 of the rows, not stratified")


def _train_flags(*flags: str) -> training_job_pb2.TrainingJob:
    args = build_parser("train").parse_args(
        ["train", "--model", "m", "--dataset", "bundled:iris", "--estimator", "SVC", *flags]
    )
    return build_job(args)


def test_train_leaves_stratify_unset_unless_a_flag_says() -> None:
    assert not _train_flags().split.HasField("stratify")  # the server stratifies if it can
    off = _train_flags("--no-stratify").split
    assert off.HasField("stratify")
    assert off.stratify is False
    on = _train_flags("--stratify").split
    assert on.HasField("stratify")
    assert on.stratify is True
