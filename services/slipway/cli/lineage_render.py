"""A lineage report (``slipway.lineage.v1.LineageReport``) as Markdown for auditors, and as JSON.

Pure functions of the message: what the `slipway lineage` command prints, what a reviewer pastes
into a ticket. The Markdown answers, in order: which version, who trained it, on what data, with
which spec, parameters and seed, how good it was, what it was retrained from, every move of an
alias with who and why, the alerts that fired on it or started its retraining, and whether the
audit log behind all of it verifies. Anything the report could not include is listed last.

It renders the API message a client received: it holds no rules and touches neither storage
nor the network, so it lives with the command line that prints it, not in the registry's domain.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC
from typing import Any

from google.protobuf import json_format
from google.protobuf.message import Message

from slipway.audit.v1 import audit_event_pb2, chain_verification_pb2
from slipway.cli.output import visible
from slipway.common.v1 import principal_pb2, value_pb2
from slipway.core.values import ValueTypeError, from_pb
from slipway.lineage.v1 import lineage_report_pb2
from slipway.monitoring.v1 import alert_pb2
from slipway.registry.v1 import (
    alias_history_pb2,
    artifact_pb2,
    lineage_pb2,
    model_version_pb2,
)
from slipway.training.v1 import (
    dataset_spec_pb2,
    estimator_spec_pb2,
    search_spec_pb2,
    training_job_pb2,
)

HASH_SHOWN = 16  # leading hex characters of a SHA-256 shown in tables


def to_json(report: lineage_report_pb2.LineageReport) -> str:
    """The whole report as indented JSON, field names as in the proto (for scripts)."""
    document = json_format.MessageToDict(report, preserving_proto_field_name=True)
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def to_markdown(report: lineage_report_pb2.LineageReport) -> str:
    """The report as a Markdown document an auditor reads from top to bottom."""
    version = report.model_version
    parts: list[str] = [f"# Lineage report: {_text(version.name)}", ""]
    requested = (
        f"Requested as {_code(report.requested_name)}"
        if report.requested_name and report.requested_name != version.name
        else ""
    )
    generated = f"generated {_time(report, 'generate_time')}"
    parts += [f"{requested}, {generated}." if requested else f"Report {generated}.", ""]
    if report.warnings:
        parts += [
            f"**This report is incomplete** ({len(report.warnings)} warning"
            f"{'s' if len(report.warnings) != 1 else ''}, listed at the end).",
            "",
        ]
    parts += _version_section(version)
    parts += _training_section(report)
    parts += _parent_section(report)
    parts += _alias_section(report.alias_history)
    parts += _alert_section(report.alerts)
    parts += _audit_section(report)
    parts += _warning_section(report.warnings)
    return "\n".join(parts).rstrip() + "\n"


# -- sections --------------------------------------------------------------------------------


def _version_section(version: model_version_pb2.ModelVersion) -> list[str]:
    rows: list[tuple[str, str]] = [
        ("Version", _code(version.name)),
        (
            "State",
            _enum(model_version_pb2.ModelVersionState, version.state, "MODEL_VERSION_STATE_")
            + (f" ({_text(version.state_message)})" if version.state_message else ""),
        ),
        ("Aliases now", ", ".join(_code(a) for a in version.aliases) or "none"),
        ("Registered by", _code(version.created_by) if version.created_by else "unknown"),
        ("Registered", _time(version, "create_time")),
    ]
    if version.HasField("ready_time"):
        rows.append(("Ready", _time(version, "ready_time")))
    if version.HasField("archive_time"):
        rows.append(("Archived", _time(version, "archive_time")))
    if version.HasField("artifact"):
        artifact = version.artifact
        fmt = _enum(artifact_pb2.ArtifactFormat, artifact.format, "ARTIFACT_FORMAT_").lower()
        rows.append(
            ("Artifact", f"sha256 {_code(artifact.sha256)}, {fmt}, {artifact.size_bytes:,} bytes")
        )
    if version.description:
        rows.append(("Description", _text(version.description)))
    if version.labels:
        rows.append(("Labels", _pairs(version.labels)))
    return ["## Version", "", *_key_values(rows), ""]


def _training_section(report: lineage_report_pb2.LineageReport) -> list[str]:
    version = report.model_version
    lineage = version.lineage
    job = report.training_job if report.HasField("training_job") else None
    lines = ["## Training", ""]
    rows: list[tuple[str, str]] = []
    if lineage.training_job:
        state = (
            f" ({_enum(training_job_pb2.TrainingJobState, job.state, 'TRAINING_JOB_STATE_')})"
            if job is not None
            else " (details unavailable, see the warnings)"
        )
        rows.append(("Training job", f"{_code(lineage.training_job)}{state}"))
    else:
        lines += ["No training job: the version was uploaded directly.", ""]
    if lineage.provenance != lineage_pb2.LINEAGE_PROVENANCE_VERIFIED:
        rows.append(("Lineage", f"self-reported by `{version.created_by}`, not verified"))
    if lineage.created_by:
        rows.append(("Asked for by", _code(lineage.created_by)))
    if job is not None:
        if job.created_by and job.created_by != lineage.created_by:
            rows.append(("Job created by", _code(job.created_by)))
        trigger = (
            _enum(training_job_pb2.TrainingTrigger, job.trigger, "TRAINING_TRIGGER_")
            if job.trigger
            else "MANUAL"
        )
        if job.trigger_source:
            trigger += f", started by {_code(job.trigger_source)}"
        rows.append(("Trigger", trigger))
        if job.reason:
            rows.append(("Reason", _text(job.reason)))
        if job.HasField("start_time") or job.HasField("end_time"):
            rows.append(
                (
                    "Ran",
                    f"{_time(job, 'start_time')} to {_time(job, 'end_time')}"
                    f" ({job.attempt_count} attempt"
                    f"{'s' if job.attempt_count != 1 else ''})",
                )
            )
    dataset = lineage.dataset
    if dataset.uri or dataset.sha256:
        rows.append(("Dataset", _code(dataset.uri) if dataset.uri else "unknown"))
        rows.append(("Dataset SHA-256", _code(dataset.sha256) if dataset.sha256 else "unknown"))
        rows.append(("Rows", f"{dataset.row_count:,}"))
    if job is not None and job.HasField("dataset"):
        rows.append(("Dataset spec", _dataset_spec(job.dataset)))
    if job is not None and job.HasField("split"):
        split = job.split
        rows.append(
            (
                "Holdout split",
                f"{split.test_fraction:g} of the rows{_stratified(job)}",
            )
        )
    if lineage.training_job or lineage.random_seed:
        rows.append(("Seed", str(lineage.random_seed)))
    if lineage.code_version:
        rows.append(("Code version", _code(lineage.code_version)))
    frameworks = _frameworks(version.framework_versions)
    if frameworks:
        rows.append(("Libraries", frameworks))
    lines += _key_values(rows)
    if rows:
        lines.append("")
    if job is not None and job.HasField("estimator"):
        lines += ["### Estimator spec", "", *_code_block(_estimator(job.estimator)), ""]
    if job is not None and job.HasField("search"):
        search = job.search
        lines += [
            "### Hyperparameter search",
            "",
            f"{_enum(search_spec_pb2.SearchStrategy, search.strategy, 'SEARCH_STRATEGY_')}"
            f" search, scored by {_text(search.scoring) if search.scoring else 'the default score'}"
            + (f", {search.cv_folds}-fold cross-validation" if search.cv_folds else "")
            + ".",
        ]
        if job.best_params:
            lines += [
                "",
                "Winning parameters:",
                "",
                *_table(
                    ("parameter", "value"),
                    [(_code(k), _text(_value(v))) for k, v in sorted(job.best_params.items())],
                ),
            ]
        lines.append("")
    lines += ["### Parameters", ""]
    if version.params:
        lines += _table(
            ("parameter", "value"),
            [(_code(k), _text(_value(v))) for k, v in sorted(version.params.items())],
        )
    else:
        lines.append("None recorded.")
    lines += ["", "### Metrics (holdout)", ""]
    if version.metrics:
        lines += _table(
            ("metric", "value"),
            [(_code(k), _number(v)) for k, v in sorted(version.metrics.items())],
        )
    else:
        lines.append("None recorded.")
    lines.append("")
    return lines


def _parent_section(report: lineage_report_pb2.LineageReport) -> list[str]:
    lines = ["## Parent version", ""]
    recorded = report.model_version.lineage.parent_version
    if report.HasField("parent_version"):
        parent = report.parent_version
        state = _enum(model_version_pb2.ModelVersionState, parent.state, "MODEL_VERSION_STATE_")
        facts = [state]
        if parent.HasField("create_time"):
            facts.append(f"registered {_time(parent, 'create_time')}")
        if parent.created_by:
            facts.append(f"by {_code(parent.created_by)}")
        if parent.lineage.training_job:
            facts.append(f"training job {_code(parent.lineage.training_job)}")
        lines.append(f"Retrained from {_code(parent.name)} ({', '.join(facts)}).")
        if parent.metrics:
            lines += ["", "| metric | parent | this version |", "|---|---|---|"]
            names = sorted(set(parent.metrics) | set(report.model_version.metrics))
            for name in names:
                lines.append(
                    _row(
                        (
                            _code(name),
                            _number(parent.metrics.get(name)),
                            _number(report.model_version.metrics.get(name)),
                        )
                    )
                )
    elif recorded:
        lines.append(f"Recorded as {_code(recorded)}, which could not be read (see the warnings).")
    else:
        lines.append("None: this is a first version, not a retraining.")
    lines.append("")
    return lines


def _alias_section(entries: Sequence[alias_history_pb2.AliasHistoryEntry]) -> list[str]:
    lines = ["## Alias moves", ""]
    if not entries:
        return [*lines, "No alias ever pointed to this version.", ""]
    rows = []
    for entry in entries:
        before = f"v{entry.from_version_number}" if entry.from_version_number else "none"
        after = f"v{entry.to_version_number}" if entry.to_version_number else "deleted"
        rows.append(
            (
                _time(entry, "change_time"),
                _code(entry.alias),
                f"{before} → {after}",
                _principal(entry.actor),
                _text(entry.reason) if entry.reason else "*no reason given*",
            )
        )
    return [*lines, *_table(("when", "alias", "from → to", "who", "why"), rows), ""]


def _alert_section(alerts: Sequence[alert_pb2.Alert]) -> list[str]:
    lines = ["## Monitoring alerts", ""]
    if not alerts:
        return [*lines, "No alerts on this version or on the retraining that produced it.", ""]
    rows = []
    for alert in alerts:
        state = _enum(alert_pb2.AlertState, alert.state, "ALERT_STATE_")
        if alert.HasField("resolve_time"):
            state += f" ({_time(alert, 'resolve_time')})"
        decision = ""
        if alert.retraining_decision:
            decision = _enum(
                alert_pb2.RetrainingDecision, alert.retraining_decision, "RETRAINING_DECISION_"
            )
            if alert.training_job:
                decision += f": {_code(alert.training_job)}"
        rows.append(
            (
                _time(alert, "fire_time"),
                _code(alert.name),
                _code(alert.model_version),
                _enum(alert_pb2.AlertKind, alert.kind, "ALERT_KIND_"),
                state,
                _text(alert.summary),
                decision or "none",
            )
        )
    return [
        *lines,
        *_table(("fired", "alert", "on version", "kind", "state", "summary", "retraining"), rows),
        "",
    ]


def _audit_section(report: lineage_report_pb2.LineageReport) -> list[str]:
    lines = ["## Audit trail", ""]
    if not report.HasField("audit_verification") and not report.audit_events:
        return [*lines, "Not included (see the warnings).", ""]
    if report.HasField("audit_verification"):
        lines += [_verification(report.audit_verification), ""]
    if report.audit_events:
        lines += _table(
            ("#", "when", "who", "action", "resource", "outcome", "reason"),
            [_event_row(e) for e in report.audit_events],
        )
        lines.append("")
    return lines


def _warning_section(warnings: Sequence[str]) -> list[str]:
    if not warnings:
        return []
    return ["## Warnings", "", *(f"- {_text(w, line_start=True)}" for w in warnings), ""]


# -- pieces ----------------------------------------------------------------------------------


def _verification(result: chain_verification_pb2.ChainVerification) -> str:
    status = _enum(chain_verification_pb2.ChainStatus, result.status, "CHAIN_STATUS_")
    if result.status == chain_verification_pb2.CHAIN_STATUS_OK:
        return (
            f"Audit chain: **{status}**. Events {result.first_sequence} to "
            f"{result.last_sequence} ({result.event_count:,} events) are all present, in "
            f"order and unchanged; the hash of event {result.last_sequence} is "
            f"`{result.last_hash}` (verified {_time(result, 'verify_time')})."
        )
    if result.status == chain_verification_pb2.CHAIN_STATUS_BROKEN:
        kind = _enum(chain_verification_pb2.ChainBreakKind, result.break_kind, "CHAIN_BREAK_KIND_")
        return (
            f"Audit chain: **{status}** at event {result.break_sequence} ({kind}): "
            f"{_text(result.detail)}. Events from {result.break_sequence} on cannot be "
            "relied on."
        )
    return f"Audit chain: **{status}**."


def _event_row(event: audit_event_pb2.AuditEvent) -> tuple[str, ...]:
    outcome = _enum(audit_event_pb2.AuditOutcome, event.outcome, "AUDIT_OUTCOME_")
    if event.error_reason:
        outcome += f" ({_text(event.error_reason)})"
    return (
        str(event.sequence),
        _time(event, "event_time"),
        _principal(event.principal),
        _code(event.action) + _step(event),
        _code(event.resource),
        outcome,
        _text(event.reason),
    )


# What each state of a version upload means; one upload writes an event per state it reaches,
# and without this the report shows the same action twice with nothing telling them apart.
_UPLOAD_STEPS = {
    "PENDING": "upload started",
    "READY": "ready",
    "FAILED": "upload failed",
}


def _step(event: audit_event_pb2.AuditEvent) -> str:
    """A few words on what a multi-step action's event did, from its payload's state."""
    if not event.action.endswith(".CreateModelVersion") or not event.payload_json:
        return ""
    try:
        payload = json.loads(event.payload_json)
    except ValueError:
        return ""
    state = payload.get("state") if isinstance(payload, dict) else None
    if not isinstance(state, str) or not state:
        return ""
    step = _UPLOAD_STEPS.get(state, "")
    if state == "PENDING" and payload.get("upload"):
        step = "upload taken over by a retry"
    return f": {step} ({_text(state)})" if step else f" ({_text(state)})"


def _stratified(job: training_job_pb2.TrainingJob) -> str:
    """How the holdout was split on the target; unset stratifies a classification that allows it."""
    if job.split.HasField("stratify"):
        return ", stratified" if job.split.stratify else ", not stratified"
    if job.task == training_job_pb2.TASK_TYPE_CLASSIFICATION:
        return ", stratified unless a class has a single row"
    return ""


def _principal(principal: principal_pb2.Principal) -> str:
    roles = ", ".join(
        principal_pb2.Role.Name(r).removeprefix("ROLE_").lower()
        for r in principal.roles
        if r in principal_pb2.Role.values()
    )
    return _code(principal.name) + (f" ({roles})" if roles else "")


def _dataset_spec(spec: dataset_spec_pb2.DatasetSpec) -> str:
    source = spec.WhichOneof("source")
    if source == "bundled":
        text = (
            "bundled "
            + _enum(dataset_spec_pb2.BundledDataset, spec.bundled, "BUNDLED_DATASET_").lower()
        )
    elif source == "path":
        text = _code(spec.path)
    else:
        text = "unknown"
    if spec.target_column:
        text += f", target {_code(spec.target_column)}"
    if spec.feature_columns:
        text += ", features " + ", ".join(_code(c) for c in spec.feature_columns)
    if spec.categorical_columns:
        text += ", categorical " + ", ".join(_code(c) for c in spec.categorical_columns)
    return text


def _estimator(spec: estimator_spec_pb2.EstimatorSpec, indent: str = "") -> list[str]:
    """The spec as indented lines, scikit-learn style."""
    kind = spec.WhichOneof("spec")
    if kind == "estimator":
        params = ", ".join(
            f"{k}={_value(v)}" for k, v in sorted(spec.estimator.hyperparameters.items())
        )
        return [f"{indent}{spec.estimator.class_name}({params})"]
    if kind == "pipeline":
        lines = [f"{indent}Pipeline("]
        for step in spec.pipeline.steps:
            inner = _estimator(step.spec, indent + "    ")
            lines += [f"{indent}  {step.name}:", *inner]
        return [*lines, f"{indent})"]
    if kind == "column_transformer":
        transformer = spec.column_transformer
        remainder = (
            _enum(
                estimator_spec_pb2.ColumnRemainder, transformer.remainder, "COLUMN_REMAINDER_"
            ).lower()
            if transformer.remainder
            else "drop"
        )
        lines = [f"{indent}ColumnTransformer(remainder={remainder}"]
        for entry in transformer.transformers:
            columns = ", ".join(entry.columns)
            lines += [
                f"{indent}  {entry.name} on [{columns}]:",
                *_estimator(entry.spec, indent + "    "),
            ]
        return [*lines, f"{indent})"]
    return [f"{indent}(not set)"]


def _frameworks(versions: model_version_pb2.FrameworkVersions) -> str:
    named = [
        ("scikit-learn", versions.scikit_learn),
        ("Python", versions.python),
        ("NumPy", versions.numpy),
        ("SciPy", versions.scipy),
        ("skops", versions.skops),
        *sorted(versions.others.items()),
    ]
    return ", ".join(f"{_text(name)} {_text(number)}" for name, number in named if number)


def _value(value: value_pb2.Value) -> str:
    try:
        python = from_pb(value)
    except ValueTypeError:
        return "(unset)"
    if isinstance(python, float):
        return _number(python)
    return json.dumps(python, ensure_ascii=False)


def _number(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.6g}"


def _pairs(values: Mapping[str, str]) -> str:
    return ", ".join(f"{_code(k)}={_text(v)}" for k, v in sorted(values.items()))


def _time(message: Message, field: str) -> str:
    if not message.HasField(field):
        return "-"
    when = getattr(message, field).ToDatetime(tzinfo=UTC)
    return str(when.strftime("%Y-%m-%d %H:%M:%S UTC"))


def _enum(enum: Any, number: int, prefix: str) -> str:  # a generated enum type
    try:
        return str(enum.Name(number)).removeprefix(prefix)
    except ValueError:
        return str(number)


# Text a reader could take for markup: Markdown's inline marks, and what starts HTML or an entity.
_MARKDOWN = re.compile(r"[\\`*_\[\]#~]")
_HTML = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
_LIST_START = re.compile(r"^(\d*)([-+*.)])(?=\s|$)")


def _text(text: str, *, line_start: bool = False) -> str:
    """Text that came from a user (a description, a reason, a label) as Markdown that shows it
    as it was written: one line, control characters escaped, Markdown marks backslash-escaped,
    ``& < >`` as HTML entities, so it can neither format the report nor inject HTML.
    ``line_start``: the text begins a line or a list item, where "- x" or "1. x" opens a list."""
    text = _line(text)
    text = _MARKDOWN.sub(lambda m: "\\" + m[0], text)
    text = "".join(_HTML.get(c, c) for c in text)
    return _LIST_START.sub(lambda m: f"{m[1]}\\{m[2]}", text) if line_start else text


def _code(text: str) -> str:
    """A name that came from a user as an inline code span that holds whatever it contains:
    the fence is longer than any run of backticks inside it (Markdown and HTML are not read
    inside a code span)."""
    text = _line(text)
    if not text:
        return ""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _code_block(lines: Sequence[str]) -> list[str]:
    """Lines in a fenced code block whose fence no line can close."""
    shown = [visible(line) for line in lines]
    longest = max((len(run) for line in shown for run in re.findall(r"`+", line)), default=0)
    fence = "`" * max(3, longest + 1)
    return [fence, *shown, fence]


def _line(text: str) -> str:
    """Text on one line (a reason or detail may span several), control characters escaped."""
    return visible(" ".join(text.split()))


def _row(cells: Iterable[str]) -> str:
    """A table row; pipes inside cells are escaped."""
    return "| " + " | ".join(_line(c).replace("|", "\\|") for c in cells) + " |"


def _table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> list[str]:
    return [_row(header), "|" + "---|" * len(header), *(_row(r) for r in rows)]


def _key_values(rows: Sequence[tuple[str, str]]) -> list[str]:
    return [f"- **{name}**: {_line(value)}" for name, value in rows]
