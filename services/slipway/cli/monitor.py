"""`slipway monitor`: drift, data quality and performance reports, alerts, and policies."""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime
from pathlib import Path

from google.protobuf import json_format

from slipway import client
from slipway.cli import names
from slipway.cli.connect import Clients, clients, command, seconds
from slipway.cli.output import (
    EXIT_FAILED,
    EXIT_OK,
    CliError,
    enum,
    fields,
    number,
    print_json,
    print_json_line,
    table,
    to_dict,
    when,
)
from slipway.client.requests import quote
from slipway.common.v1 import feature_pb2
from slipway.monitoring.v1 import (
    alert_pb2,
    drift_pb2,
    monitoring_policy_pb2,
    monitoring_report_pb2,
)
from slipway.monitoring.v1 import monitoring_service_pb2 as service_pb2

ALERT_STATES = ("firing", "resolved")
ALERT_KINDS = [n.removeprefix("ALERT_KIND_").lower() for n in alert_pb2.AlertKind.keys()[1:]]


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("monitor", help="reports, alerts and policies of monitoring")
    actions = parser.add_subparsers(dest="monitor_command", required=True, metavar="ACTION")

    report = command(
        actions,
        "report",
        _report,
        "a version's drift, data quality and performance report",
        description="Computed now over the policy's window (default: the model's first "
        "enabled policy), or --since/--until; or a stored report by name (the one an alert "
        "names). Times are ISO (UTC when naive) or a duration ago: 30m, 2h, 1d.",
    )
    report.add_argument(
        "version", help="MODEL:NUMBER or MODEL@ALIAS, or a stored report monitoringReports/ID"
    )
    report.add_argument("--policy", default="", help="ID or monitoringPolicies/ID")
    report.add_argument("--since", default=None, metavar="TIME")
    report.add_argument("--until", default=None, metavar="TIME")
    report.add_argument(
        "--all-features",
        action="store_true",
        help="data quality of every feature, not only flagged ones",
    )
    report.add_argument(
        "--fail-on-drift",
        action="store_true",
        help="exit 1 when data, prediction or target drift, degraded "
        "performance or concept drift is found",
    )

    alerts = command(
        actions,
        "alerts",
        _alerts,
        "list alerts, newest first (or --watch)",
        description="The flags are joined with AND into the AIP-160 filter ListAlerts takes; "
        "--filter adds conditions of your own, e.g. 'severity = CRITICAL'.",
    )
    alerts.add_argument("--model", default="", help="only this model's")
    alerts.add_argument("--version", default="", help="only this version's (MODEL:NUMBER)")
    alerts.add_argument("--policy", default="", help="only this policy's")
    alerts.add_argument("--state", choices=ALERT_STATES, default=None)
    alerts.add_argument("--kind", action="append", choices=ALERT_KINDS, default=[])
    alerts.add_argument("--since", default=None, metavar="TIME", help="fired at or after")
    alerts.add_argument("--until", default=None, metavar="TIME", help="fired before")
    alerts.add_argument("--filter", default="", help="AIP-160 filter, e.g. 'severity = CRITICAL'")
    alerts.add_argument(
        "--order-by", default="", help="AIP-132 order, e.g. 'update_time desc' (default newest)"
    )
    alerts.add_argument("--limit", type=int, default=50, help="at most this many (0: all)")
    alerts.add_argument(
        "--watch",
        action="store_true",
        help="print the alerts firing now, then every change as it happens "
        "(until Ctrl-C or --watch-for)",
    )
    alerts.add_argument("--watch-for", type=seconds, default=None, metavar="SECONDS")
    alerts.add_argument(
        "--after-sequence",
        type=int,
        default=None,
        metavar="N",
        help="with --watch: resume after the change numbered N (the second column) instead of "
        "printing the alerts firing now",
    )

    alert = command(actions, "alert", _alert, "show one alert and the report behind it")
    alert.add_argument("alert", help="ID or alerts/ID")

    policies = actions.add_parser("policies", help="list, show, create, update, delete policies")
    policy_actions = policies.add_subparsers(
        dest="policies_command", required=True, metavar="ACTION"
    )
    listing = command(policy_actions, "list", _policies_list, "list policies")
    listing.add_argument("--model", default="", help="only this model's")
    get = command(policy_actions, "get", _policies_get, "show one policy")
    get.add_argument("policy", help="ID or monitoringPolicies/ID")
    create = command(
        policy_actions,
        "create",
        _policies_create,
        "create a policy from a MonitoringPolicy in JSON",
    )
    create.add_argument("--file", "-f", type=Path, required=True, metavar="POLICY.json")
    create.add_argument("--id", default="", help="the policy's id (default: chosen by the service)")
    create.add_argument("--reason", default="", help="why (recorded in the audit log)")
    update = command(
        policy_actions,
        "update",
        _policies_update,
        "change the fields a JSON file gives (the others are kept)",
    )
    update.add_argument("policy", help="ID or monitoringPolicies/ID")
    update.add_argument("--file", "-f", type=Path, required=True, metavar="POLICY.json")
    update.add_argument("--reason", default="", help="why (recorded in the audit log)")
    delete = command(
        policy_actions, "delete", _policies_delete, "delete a policy", json_output=False
    )
    delete.add_argument("policy", help="ID or monitoringPolicies/ID")
    delete.add_argument("--etag", default="", help="only if the policy is unchanged since")
    delete.add_argument("--reason", default="", help="why (recorded in the audit log)")


# -- reports -----------------------------------------------------------------------------------


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


def _percent(share: float) -> str:
    return f"{share * 100:.1f}%"


def _method(feature: monitoring_report_pb2.FeatureDrift) -> str:
    return enum(drift_pb2.DriftMethod, feature.method, "DRIFT_METHOD_")


def _summary(stats: feature_pb2.FeatureStatistics) -> str:
    """The mean where the statistics have numbers (numeric features, and 0/1 ones, whose mean is
    the share of ones); for categories, whose unset mean reads as 0 on the wire, the most frequent
    value with its share and how many distinct values there are."""
    if stats.quantiles:
        return f"mean {number(stats.mean)}"
    if not stats.categories:
        return "-"
    top = stats.categories[0]
    total = sum(c.count for c in stats.categories)
    share = f" {top.count / total:.0%}," if total else ","
    distinct = stats.distinct_count or len(stats.categories)
    return f"{top.value}{share} {distinct} distinct"


def _drift_rows(features: list[monitoring_report_pb2.FeatureDrift]) -> list[tuple[object, ...]]:
    return [
        (
            f.feature,
            enum(feature_pb2.FeatureKind, f.kind, "FEATURE_KIND_"),
            _method(f),
            number(f.score),
            number(f.threshold),
            "DRIFT" if f.drifted else "no",
            number(f.psi.value) if f.HasField("psi") else "-",
            _summary(f.reference) if f.HasField("reference") else "-",
            _summary(f.current) if f.HasField("current") else "-",
            f.note,
        )
        for f in features
    ]


DRIFT_HEADERS = (
    "feature",
    "kind",
    "method",
    "score",
    "threshold",
    "drifted",
    "psi",
    "reference",
    "current",
    "note",
)


def _dataset_drift(title: str, drift: monitoring_report_pb2.DatasetDrift) -> None:
    verdict = "DRIFT" if drift.drifted else "no drift"
    print(
        f"\n{title}: {verdict} ({drift.drifted_count} of {len(drift.features)} drifted, "
        f"{_percent(drift.drifted_share)}; dataset threshold "
        f"{_percent(drift.share_threshold)})"
    )
    table(DRIFT_HEADERS, _drift_rows(list(drift.features)))


def show_report(report: monitoring_report_pb2.MonitoringReport, all_features: bool) -> None:
    window = report.window
    fields(
        [
            ("report", report.name),
            ("version", report.model_version),
            ("policy", report.policy or "defaults"),
            ("window", f"{when(window, 'start_time')} to {when(window, 'end_time')} UTC"),
            (
                "rows",
                f"{window.row_count:,} (drift tested on {window.sample_row_count:,}); "
                f"reference {report.reference_row_count:,} "
                f"({report.reference_sample_row_count:,} sampled)",
            ),
            (
                "samples",
                "sufficient"
                if report.sufficient_samples
                else "NOT sufficient: verdicts are provisional",
            ),
        ]
    )
    if report.HasField("data_drift"):
        _dataset_drift("Data drift", report.data_drift)
    if report.HasField("prediction_drift") and report.prediction_drift.features:
        _dataset_drift("Prediction drift", report.prediction_drift)
    if report.HasField("target_drift"):
        target = report.target_drift
        print(
            f"\nTarget drift: {'DRIFT' if target.drifted else 'no drift'} "
            f"({_method(target)} score {number(target.score)}, threshold "
            f"{number(target.threshold)})"
        )
    quality = report.data_quality
    print(f"\nData quality: {'ISSUES' if quality.issues_found else 'no issues'}")
    shown = [q for q in quality.features if all_features or q.flagged]
    table(
        ("feature", "missing", "ref missing", "out of range", "unseen categories", "flagged"),
        [
            (
                q.feature,
                f"{q.missing_count} ({_percent(q.missing_share)})",
                _percent(q.reference_missing_share),
                f"{q.out_of_range_count} ({_percent(q.out_of_range_share)})",
                ", ".join(q.unseen_categories[:5]) or q.unseen_category_count or "-",
                "FLAGGED" if q.flagged else "no",
            )
            for q in shown
        ],
    )
    for issue in quality.schema_issues:
        kind = enum(monitoring_report_pb2.SchemaIssueKind, issue.kind, "SCHEMA_ISSUE_KIND_")
        print(f"  schema: {issue.feature}: {kind} in {issue.record_count} records: {issue.detail}")
    if report.HasField("multivariate_drift"):
        _multivariate(report.multivariate_drift)
    if report.HasField("performance_estimate"):
        _estimate(report.performance_estimate)
    performance = report.performance
    if not performance.labeled_row_count:
        print("\nPerformance: no labeled rows in the window")
        return
    print(
        f"\nPerformance: {'DEGRADED' if performance.degraded else 'ok'} "
        f"({performance.labeled_row_count:,} labeled rows, "
        f"{_percent(performance.label_coverage)} of the window)"
    )
    table(
        ("metric", "value", "reference", "degradation", "max degradation", "bound", "degraded"),
        [
            (
                m.metric,
                number(m.value),
                number(m.reference_value) if m.HasField("reference_value") else "-",
                number(m.degradation),
                number(m.max_degradation) if m.HasField("max_degradation") else "-",
                number(m.bound) if m.HasField("bound") else "-",
                "DEGRADED" if m.degraded else "no",
            )
            for m in performance.metrics
        ],
    )
    concept = performance.concept_drift
    if concept.detector and concept.detector != drift_pb2.CONCEPT_DRIFT_DETECTOR_DISABLED:
        detector = enum(drift_pb2.ConceptDriftDetector, concept.detector, "CONCEPT_DRIFT_DETECTOR_")
        print(f"Concept drift ({detector}): {_concept_verdict(concept)}")


def _multivariate(section: monitoring_report_pb2.MultivariateDrift) -> None:
    print(
        f"\nMultivariate drift (PCA reconstruction error): "
        f"{'DRIFT' if section.drifted else 'no drift'} "
        f"(error {number(section.reconstruction_error)}, "
        f"reference band {number(section.lower_threshold)} to "
        f"{number(section.upper_threshold)}; {section.component_count} components)"
    )


def _estimate(estimate: monitoring_report_pb2.PerformanceEstimate) -> None:
    method = enum(monitoring_report_pb2.EstimationMethod, estimate.method, "ESTIMATION_METHOD_")
    print(
        f"\nEstimated performance ({method}, without labels): "
        f"{'DEGRADED' if estimate.degraded else 'ok'} ({estimate.row_count:,} rows; learned "
        f"from {estimate.reference_row_count:,} labeled reference rows)"
    )
    table(
        ("metric", "estimate", "band", "realised", "reference", "degraded"),
        [
            (
                m.metric,
                number(m.value),
                f"{number(m.lower_confidence_bound)} to {number(m.upper_confidence_bound)}",
                number(m.realized_value) if m.HasField("realized_value") else "-",
                number(m.reference_value) if m.HasField("reference_value") else "-",
                "DEGRADED" if m.degraded else "no",
            )
            for m in estimate.metrics
        ],
    )
    if estimate.note:
        print(f"  note: {estimate.note}")


def _concept_verdict(concept: monitoring_report_pb2.ConceptDriftResult) -> str:
    """The detector's verdict, with its statistic only where it says something: at a detection
    (with the threshold it crossed, when it has one), or a rise that did not reach it."""
    threshold = concept.parameters.get("threshold")
    bound = f", threshold {number(threshold)}" if threshold is not None else ""
    if concept.detected:
        # Some detectors reset their statistic as they fire: a 0 there says nothing.
        if not concept.statistic:
            return f"DETECTED at {when(concept, 'detection_time')}"
        return (
            f"DETECTED at {when(concept, 'detection_time')} "
            f"(statistic {number(concept.statistic)}{bound})"
        )
    if concept.statistic:
        return f"not detected (statistic {number(concept.statistic)}{bound})"
    return "not detected"


def found_drift(report: monitoring_report_pb2.MonitoringReport) -> bool:
    return (
        report.data_drift.drifted
        or report.prediction_drift.drifted
        or report.target_drift.drifted
        or report.performance.degraded
        or report.performance.concept_drift.detected
    )


def resolve_version(suite: Clients, text: str) -> str:
    """``models/m/versions/N`` for a version given by number or alias (read now)."""
    ref = names.required_version(text)
    if ref.number:
        return ref.name
    return suite.registry.get_version(ref.name).name


def _report(args: argparse.Namespace) -> int:
    since = names.moment(args.since) if args.since else None
    until = names.moment(args.until) if args.until else None
    with clients(args) as suite:
        if args.version.startswith(STORED_REPORT):
            report = suite.monitoring.get_report(args.version)
        else:
            report = suite.monitoring.compute_report(
                resolve_version(suite, args.version),
                policy=names.policy(args.policy) if args.policy else "",
                start_time=since,
                end_time=until,
            )
    if args.json:
        print_json(report)
    else:
        show_report(report, args.all_features)
    return EXIT_FAILED if args.fail_on_drift and found_drift(report) else EXIT_OK


# -- alerts ------------------------------------------------------------------------------------


def alert_row(alert: alert_pb2.Alert) -> tuple[object, ...]:
    decision = (
        enum(alert_pb2.RetrainingDecision, alert.retraining_decision, "RETRAINING_DECISION_")
        if alert.retraining_decision
        else "-"
    )
    if alert.training_job:
        decision += f" {alert.training_job.removeprefix('trainingJobs/')}"
    return (
        when(alert, "fire_time"),
        alert.name.removeprefix("alerts/"),
        alert.model_version.removeprefix("models/"),
        enum(alert_pb2.AlertKind, alert.kind, "ALERT_KIND_"),
        enum(alert_pb2.AlertSeverity, alert.severity, "ALERT_SEVERITY_"),
        enum(alert_pb2.AlertState, alert.state, "ALERT_STATE_"),
        decision,
        alert.summary,
    )


STORED_REPORT = "monitoringReports/"
ALERT_HEADERS = ("fired", "alert", "version", "kind", "severity", "state", "retraining", "summary")


def _watch(suite: Clients, args: argparse.Namespace) -> int:
    model = names.model(args.model) if args.model else ""
    try:
        for change in suite.monitoring.watch_alerts(
            model=model,
            include_firing=args.after_sequence is None,
            after_sequence=args.after_sequence,
            timeout=args.watch_for,
        ):
            if args.json:
                print_json_line(change)
                continue
            transition = enum(service_pb2.AlertTransition, change.transition, "ALERT_TRANSITION_")
            print(
                f"{transition.upper():<8}  {change.sequence:>6}  "
                + "  ".join(str(c) for c in alert_row(change.alert)),
                flush=True,
            )
    except client.DeadlineExceeded:
        if args.watch_for is None:
            raise
    return EXIT_OK


def _time(moment: datetime) -> str:
    return quote(moment.astimezone(UTC).isoformat().replace("+00:00", "Z"))


def alerts_filter(args: argparse.Namespace, version: str) -> str:
    """The ListAlerts filter the flags ask for, joined with ``--filter``."""
    terms = []
    if args.model:
        terms.append(f"model = {quote(names.model(args.model))}")
    if version:
        terms.append(f"model_version = {quote(version)}")
    if args.policy:
        terms.append(f"policy = {quote(names.policy(args.policy))}")
    if args.state:
        terms.append(f"state = {args.state.upper()}")
    if args.kind:  # any of them: OR binds tighter than AND
        terms.append(" OR ".join(f"kind = {kind.upper()}" for kind in args.kind))
    if args.since:
        terms.append(f"fire_time >= {_time(names.moment(args.since))}")
    if args.until:
        terms.append(f"fire_time < {_time(names.moment(args.until))}")
    if args.filter.strip():
        terms.append(args.filter.strip())
    return " AND ".join(terms)


def _alerts(args: argparse.Namespace) -> int:
    with clients(args) as suite:
        if args.watch:
            return _watch(suite, args)
        found = []
        version = resolve_version(suite, args.version) if args.version else ""
        for alert in suite.monitoring.list_alerts(
            filter=alerts_filter(args, version), order_by=args.order_by
        ):
            found.append(alert)
            if args.limit and len(found) >= args.limit:
                break
    if args.json:
        print_json(found)
    else:
        table(ALERT_HEADERS, [alert_row(a) for a in found], empty="no alerts")
    return EXIT_OK


def _alert(args: argparse.Namespace) -> int:
    with clients(args) as suite:
        alert = suite.monitoring.get_alert(names.alert(args.alert))
        report = suite.monitoring.get_report(alert.report) if alert.report else None
    if args.json:
        print_json(alert)
        return EXIT_OK
    fields(
        [
            ("alert", alert.name),
            ("state", enum(alert_pb2.AlertState, alert.state, "ALERT_STATE_")),
            ("kind", enum(alert_pb2.AlertKind, alert.kind, "ALERT_KIND_")),
            ("severity", enum(alert_pb2.AlertSeverity, alert.severity, "ALERT_SEVERITY_")),
            ("version", alert.model_version),
            ("policy", alert.policy),
            ("summary", alert.summary),
            ("subjects", ", ".join(alert.subjects)),
            ("fired", when(alert, "fire_time")),
            ("resolved", when(alert, "resolve_time") if alert.HasField("resolve_time") else ""),
            ("because", alert.resolve_reason),
            (
                "retraining",
                enum(
                    alert_pb2.RetrainingDecision, alert.retraining_decision, "RETRAINING_DECISION_"
                )
                if alert.retraining_decision
                else "",
            ),
            ("training job", alert.training_job),
            ("detail", alert.retraining_detail),
            ("report", alert.report),
        ]
    )
    if report is not None:
        print()
        show_report(report, all_features=False)
    return EXIT_OK


# -- policies ----------------------------------------------------------------------------------


def _window(policy: monitoring_policy_pb2.MonitoringPolicy) -> str:
    size = policy.window.WhichOneof("size")
    if size == "row_count":
        return f"{policy.window.row_count} rows"
    if size == "duration":
        return f"{policy.window.duration.ToTimedelta()}"
    return "default"


def _action(policy: monitoring_policy_pb2.MonitoringPolicy) -> str:
    return enum(monitoring_policy_pb2.PolicyAction, policy.action, "POLICY_ACTION_")


def read_policy(path: Path) -> tuple[monitoring_policy_pb2.MonitoringPolicy, list[str]]:
    """The policy in a JSON file and the top-level fields the file gives."""
    try:
        text = path.read_text()
        given = json.loads(text)
    except OSError as exc:
        raise CliError(f"cannot read {path}: {exc.strerror}") from None
    except ValueError as exc:
        raise CliError(f"{path} is not JSON: {exc}") from None
    if isinstance(given, dict) and set(given) == {"monitoring_policy"}:
        given = given["monitoring_policy"]
    if not isinstance(given, dict):
        raise CliError(f"{path} must hold a MonitoringPolicy object")
    try:
        policy = json_format.ParseDict(given, monitoring_policy_pb2.MonitoringPolicy())
    except json_format.ParseError as exc:
        raise CliError(f"{path} is not a MonitoringPolicy: {exc}") from None
    by_json_name = {f.json_name: f.name for f in policy.DESCRIPTOR.fields}
    return policy, [by_json_name.get(str(k), str(k)) for k in given]


def _policies_list(args: argparse.Namespace) -> int:
    with clients(args) as suite:
        model = f"model = {quote(names.model(args.model))}" if args.model else ""
        found = list(suite.monitoring.list_policies(filter=model))
    if args.json:
        print_json(found)
        return EXIT_OK
    table(
        ("policy", "model", "window", "min samples", "action", "enabled", "description"),
        [
            (
                p.name.removeprefix("monitoringPolicies/"),
                p.model.removeprefix("models/"),
                _window(p),
                p.min_samples or "-",
                _action(p),
                _yes(not p.disabled),
                p.description,
            )
            for p in found
        ],
        empty="no policies",
    )
    return EXIT_OK


def _policies_get(args: argparse.Namespace) -> int:
    with clients(args) as suite:
        policy = suite.monitoring.get_policy(names.policy(args.policy))
    if args.json:
        print_json(policy)
        return EXIT_OK
    fields(
        [
            ("name", policy.name),
            ("model", policy.model),
            ("description", policy.description),
            ("enabled", _yes(not policy.disabled)),
            ("window", _window(policy)),
            ("min samples", policy.min_samples or "default"),
            ("action", _action(policy)),
            ("created by", policy.created_by),
            ("created", when(policy, "create_time")),
            ("updated", when(policy, "update_time")),
            ("etag", policy.etag),
        ]
    )
    config = {
        k: v
        for k, v in to_dict(policy).items()
        if k in ("drift", "performance", "data_quality", "retraining")
    }
    if config:
        print("config:")
        print(json.dumps(config, indent=2, ensure_ascii=False))
    return EXIT_OK


def _policies_create(args: argparse.Namespace) -> int:
    policy, _ = read_policy(args.file)
    with clients(args) as suite:
        created = suite.monitoring.create_policy(policy, policy_id=args.id, reason=args.reason)
    if args.json:
        print_json(created)
    else:
        print(f"created {created.name} for {created.model}")
    return EXIT_OK


def _policies_update(args: argparse.Namespace) -> int:
    changes, given = read_policy(args.file)
    mask = [
        f for f in given if f not in ("name", "etag", "create_time", "update_time", "created_by")
    ]
    if not mask:
        raise CliError(f"{args.file} changes nothing")
    with clients(args) as suite:
        policy = suite.monitoring.get_policy(names.policy(args.policy))
        for field in mask:
            if changes.DESCRIPTOR.fields_by_name[field].message_type is not None:
                getattr(policy, field).CopyFrom(getattr(changes, field))
            else:
                setattr(policy, field, getattr(changes, field))
        updated = suite.monitoring.update_policy(policy, mask, reason=args.reason)
    if args.json:
        print_json(updated)
    else:
        print(f"updated {updated.name} ({', '.join(mask)})")
    return EXIT_OK


def _policies_delete(args: argparse.Namespace) -> int:
    name = names.policy(args.policy)
    with clients(args) as suite:
        suite.monitoring.delete_policy(name, etag=args.etag, reason=args.reason)
    print(f"deleted {name}")
    return EXIT_OK
