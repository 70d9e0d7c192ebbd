"""deploy/prometheus and deploy/grafana: the configurations and rules pass `promtool check`, the
alert rules pass their unit tests (`promtool test rules`), every alert is documented in the
runbook, and every rule and dashboard expression names series and labels the services export.

The series the services export are read from their metric classes themselves (names, types and
label names), and a search of the sources for metric-like names makes sure that list misses
none. `promtool` is the Debian package `prometheus`: without it these tests skip, except under
`CI=true`, where they fail.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest
import yaml
from prometheus_client import CollectorRegistry
from prometheus_client.metrics import MetricWrapperBase

from slipway.core.audit.verifier import ChainVerifier
from slipway.core.bootstrap import connect_database
from slipway.core.metrics import GrpcMetrics
from slipway.services.monitoring.domain.alerts import KINDS
from slipway.services.monitoring.metrics import MonitoringMetrics
from slipway.services.monitoring.settings import MonitoringSettings
from slipway.services.registry.settings import RegistrySettings
from slipway.services.serving.api.statistics import StatisticsCollector
from slipway.services.serving.domain.statistics import Statistics
from slipway.services.serving.main import ServingMetrics
from slipway.services.serving.settings import ServingSettings
from slipway.services.serving.sinks.prediction_log import PredictionLogMetrics
from slipway.services.training.api.converters import CATEGORIES_PB
from slipway.services.training.domain.entities import JobState
from slipway.services.training.settings import TrainingSettings
from slipway.services.training.worker.supervisor import TrainingMetrics
from support.ci import unavailable

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ROOT / "services" / "slipway"
PROMETHEUS = ROOT / "deploy" / "prometheus"
RULES = PROMETHEUS / "rules" / "slipway.rules.yml"
RULE_TESTS = PROMETHEUS / "tests" / "slipway.rules.test.yml"
CONFIG = PROMETHEUS / "prometheus.yml"
KUBERNETES_CONFIG = PROMETHEUS / "prometheus-kubernetes.yml"
DASHBOARD = ROOT / "deploy" / "grafana" / "slipway.json"
RUNBOOK = ROOT / "deploy" / "README.md"

SERVICES = {
    "registry": RegistrySettings,
    "training": TrainingSettings,
    "serving": ServingSettings,
    "monitoring": MonitoringSettings,
}
# Labels every target gets from the scrape configurations, besides each series' own.
TARGET_LABELS = {"job", "instance", "service", "namespace", "pod"}
# What the issue asks alerts for, and the alerts that answer it.
REQUIRED_ALERTS = {
    "service down": "SlipwayServiceDown",
    "error ratio": "SlipwayHighErrorRatio",
    "p99 latency": "SlipwayHighLatency",
    "drift alert firing": "SlipwayModelDrift",
    "prediction-log drops": "SlipwayPredictionLogsDropped",
    "training failures": "SlipwayTrainingJobsFailing",
    "audit chain verification failing": "SlipwayAuditChainBroken",
}
# Strings in the sources that look like metric names but are not series.
NOT_SERIES = {"slipway_read_only"}  # a SQLAlchemy execution option (core/db.py)


# -- promtool -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def promtool() -> str:
    found = shutil.which("promtool")
    if found is None:
        unavailable(
            "promtool is missing: install the Debian package `prometheus` (`make deploy-tools`)"
        )
    return found


def run(promtool: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [promtool, *args], capture_output=True, text=True, timeout=120, check=False
    )


def test_the_rules_pass_promtool_check(promtool: str) -> None:
    done = run(promtool, "check", "rules", str(RULES))
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"SUCCESS: {len(alerts())} rules found" in done.stdout


def test_the_alert_rules_pass_their_unit_tests(promtool: str) -> None:
    done = run(promtool, "test", "rules", str(RULE_TESTS))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS" in done.stdout


def test_the_single_host_config_passes_promtool_check(promtool: str) -> None:
    done = run(promtool, "check", "config", str(CONFIG))
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_kubernetes_config_passes_promtool_check(promtool: str, tmp_path: Path) -> None:
    """Debian builds Prometheus without Kubernetes discovery; there the same file, with its
    `kubernetes_sd_configs` swapped for a file discovery, must pass (relabelling, rules)."""
    done = run(promtool, "check", "config", str(KUBERNETES_CONFIG))
    if done.returncode != 0 and "kubernetes_sd_configs not found" in done.stdout + done.stderr:
        text = KUBERNETES_CONFIG.read_text()
        assert text.count("kubernetes_sd_configs:\n      - role: pod\n") == 1
        copy = tmp_path / KUBERNETES_CONFIG.name
        copy.write_text(
            text.replace(
                "kubernetes_sd_configs:\n      - role: pod\n",
                "file_sd_configs:\n      - files: [pods.json]\n",
            )
        )
        (tmp_path / "pods.json").write_text("[]")
        shutil.copytree(RULES.parent, tmp_path / RULES.parent.name)
        done = run(promtool, "check", "config", str(copy))
    assert done.returncode == 0, done.stdout + done.stderr


def test_dashboard_expressions_are_valid_promql(promtool: str, tmp_path: Path) -> None:
    """Each panel query, with Grafana's variables filled in, as a recording rule."""
    rules = [
        {"record": f"dashboard:panel_{n}", "expr": grafana_to_promql(expr)}
        for n, (_, expr) in enumerate(dashboard_expressions())
    ]
    path = tmp_path / "dashboard.rules.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "dashboard", "rules": rules}]}))
    done = run(promtool, "check", "rules", str(path))
    assert done.returncode == 0, done.stdout + done.stderr


# -- the rules, their tests and their runbook ---------------------------------------------------


def alerts() -> list[dict[str, Any]]:
    document = yaml.safe_load(RULES.read_text())
    return [rule for group in document["groups"] for rule in group["rules"] if "alert" in rule]


def github_anchor(heading: str) -> str:
    """The anchor GitHub gives a Markdown heading."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def runbook_anchors() -> set[str]:
    return {
        github_anchor(line.lstrip("#"))
        for line in RUNBOOK.read_text().splitlines()
        if line.startswith("#")
    }


def test_the_issue_asks_for_these_alerts() -> None:
    names = {rule["alert"] for rule in alerts()}
    assert set(REQUIRED_ALERTS.values()) <= names
    assert len(names) == len(alerts()), "an alert name is used twice"


@pytest.mark.parametrize("rule", alerts(), ids=lambda rule: rule["alert"])
def test_every_alert_has_a_severity_and_a_runbook_section(rule: dict[str, Any]) -> None:
    assert rule["labels"]["severity"] in {"critical", "warning"}
    annotations = rule["annotations"]
    assert set(annotations) == {"summary", "description", "runbook_url"}
    path, _, anchor = annotations["runbook_url"].partition("#")
    assert path == "deploy/README.md"
    assert anchor == rule["alert"].lower()
    assert anchor in runbook_anchors(), f"deploy/README.md has no section {rule['alert']}"


@pytest.mark.parametrize("rule", alerts(), ids=lambda rule: rule["alert"])
def test_every_alert_fires_and_stays_quiet_in_the_unit_tests(rule: dict[str, Any]) -> None:
    cases = [
        case
        for test in yaml.safe_load(RULE_TESTS.read_text())["tests"]
        for case in test.get("alert_rule_test", [])
        if case["alertname"] == rule["alert"]
    ]
    assert any(case.get("exp_alerts") for case in cases), f"{rule['alert']} never fires"
    assert any(not case.get("exp_alerts") for case in cases), f"{rule['alert']} never quiet"


# -- the series the services export --------------------------------------------------------------


def _exposed(name: str, kind: str) -> list[str]:
    """The sample names of a family as Prometheus scrapes them."""
    if kind == "counter":
        return [f"{name}_total", f"{name}_created"]
    if kind == "histogram":
        return [f"{name}_bucket", f"{name}_count", f"{name}_sum", f"{name}_created"]
    return [name]


@pytest.fixture(scope="module")
def catalogue(tmp_path_factory: pytest.TempPathFactory) -> dict[str, set[str]]:
    """Every series name the services export, with its label names, from their metric
    classes."""
    holders: list[object] = [
        GrpcMetrics(CollectorRegistry()),
        ServingMetrics(),
        PredictionLogMetrics(),
        TrainingMetrics(),
        MonitoringMetrics(),
    ]
    found: dict[str, set[str]] = {}
    for holder in holders:
        for metric in vars(holder).values():
            if isinstance(metric, MetricWrapperBase):
                family = metric.describe()[0]
                labels = set(metric._labelnames)  # prometheus_client keeps them here
                for name in _exposed(family.name, family.type):
                    found[name] = labels | ({"le"} if name.endswith("_bucket") else set())
    # Serving's inference statistics are read from the domain at each scrape.
    for family in StatisticsCollector(Statistics()).describe():
        for name in _exposed(family.name, family.type):
            if name.endswith("_total"):  # no _created series: the families carry no timestamp
                found[name] = set(family._labelnames)  # type: ignore[attr-defined]
    db = connect_database(f"sqlite:///{tmp_path_factory.mktemp('db') / 'slipway.db'}")
    try:
        for family in ChainVerifier(db).describe():
            found[family.name] = set()
    finally:
        db.dispose()
    return found


def test_the_catalogue_misses_no_series_named_in_the_sources(
    catalogue: dict[str, set[str]],
) -> None:
    named = {
        match
        for path in SOURCES.rglob("*.py")
        for match in re.findall(r"[\"']((?:slipway|grpc_server)_[a-z0-9_]+)[\"']", path.read_text())
    }
    bases = {re.sub(r"_(total|created|bucket|count|sum)$", "", name) for name in catalogue}
    unknown = {name for name in named - NOT_SERIES if name not in catalogue and name not in bases}
    assert unknown == set(), "series defined outside the metric classes this test reads"
    assert {
        "slipway_audit_chain_ok",
        "grpc_server_handled_total",
        "slipway_training_jobs_finished_total",
    } <= set(catalogue)


# Label values the rules and the dashboard match on, as the code writes them.
def _literals_in(path: Path, values: set[str]) -> set[str]:
    text = path.read_text()
    return {value for value in values if f'"{value}"' in text}


SERVING = SOURCES / "services" / "serving"
LABEL_VALUES: dict[str, set[str]] = {
    "grpc_code": {code.name for code in grpc.StatusCode},
    "state": {state.name for state in JobState},
    "category": set(CATEGORIES_PB),
    "kind": set(KINDS),
    "outcome": _literals_in(SERVING / "domain" / "deployments.py", {"loaded", "swapped", "failed"}),
    "reason": _literals_in(
        SERVING / "sinks" / "prediction_log.py", {"queue_full", "monitoring_unavailable"}
    ),
    "agreed": _literals_in(SERVING / "main.py", {"true", "false"}),
}


def grafana_to_promql(expr: str) -> str:
    """A dashboard query as Prometheus takes it: Grafana's variables filled in."""
    return (
        expr.replace("$__rate_interval", "5m")
        .replace("$__range", "1h")
        .replace("$job", ".*")
        .replace("$model", ".*")
        .replace("$service", "registry|training|serving|monitoring")
    )


def dashboard_expressions() -> Iterator[tuple[str, str]]:
    for panel in json.loads(DASHBOARD.read_text())["panels"]:
        for target in panel.get("targets", []):
            yield f"panel {panel['title']!r}", target["expr"]


def rule_expressions() -> Iterator[tuple[str, str]]:
    for group in yaml.safe_load(RULES.read_text())["groups"]:
        for rule in group["rules"]:
            yield f"rule {rule.get('alert') or rule.get('record')}", rule["expr"]


_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
_SERIES = re.compile(r"\b((?:slipway|grpc_server)_[a-z0-9_]+|up)\b\s*(\{[^}]*\})?")
_MATCHER = re.compile(r'([a-zA-Z_]\w*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"')
_GROUPING = re.compile(r"\b(?:by|without|on|ignoring)\s*\(([^)]*)\)")


@pytest.mark.parametrize(
    ("where", "expr"),
    [*rule_expressions(), *dashboard_expressions()],
    ids=lambda value: value if value.startswith(("rule", "panel")) else "",
)
def test_expressions_name_series_and_labels_that_exist(
    where: str, expr: str, catalogue: dict[str, set[str]]
) -> None:
    expr = grafana_to_promql(expr)
    bare = _STRING.sub('""', expr)
    used: set[str] = set()
    for match in _SERIES.finditer(expr):
        name, selector = match.group(1), match.group(2) or ""
        if name == "up" and not selector:
            continue  # the word, not the series
        assert name == "up" or name in catalogue, f"{where}: no series {name}"
        labels = TARGET_LABELS | catalogue.get(name, set())
        used |= labels
        for label, operator, value in _MATCHER.findall(selector):
            assert label in labels, f"{where}: {name} has no label {label}"
            if label in LABEL_VALUES and operator in {"=", "=~"}:
                wanted = set(value.split("|")) if operator == "=~" else {value}
                wanted = {v for v in wanted if not re.search(r"[.*+?\\\[\]()]", v)}
                unknown = wanted - LABEL_VALUES[label]
                assert not unknown, f"{where}: {label} is never {sorted(unknown)}"
    assert used, f"{where}: names no series"
    for group in _GROUPING.findall(bare):
        for label in (part.strip() for part in group.split(",") if part.strip()):
            assert label in used, f"{where}: groups by {label}, which its series lack"


# -- the scrape configurations -------------------------------------------------------------------


def test_static_targets_are_each_service_on_its_default_metrics_port() -> None:
    config = yaml.safe_load(CONFIG.read_text())
    (job,) = [job for job in config["scrape_configs"] if job["job_name"] == "slipway"]
    targets = {group["labels"]["service"]: group["targets"] for group in job["static_configs"]}
    assert targets == {
        name: [f"127.0.0.1:{settings.default_metrics_port}"] for name, settings in SERVICES.items()
    }
    assert config["rule_files"] == ["rules/slipway.rules.yml"]


def relabel(labels: dict[str, str], configs: list[dict[str, Any]]) -> dict[str, str] | None:
    """Prometheus's relabelling (keep, drop, replace) of one discovered target."""
    labels = dict(labels)
    for config in configs:
        action = config.get("action", "replace")
        value = config.get("separator", ";").join(
            labels.get(name, "") for name in config.get("source_labels", [])
        )
        match = re.fullmatch(config.get("regex", "(.*)"), value)
        if action == "keep" and match is None:
            return None
        if action == "drop" and match is not None:
            return None
        if action == "replace" and match is not None:
            replacement = re.sub(r"\$\{?(\d+)\}?", r"\\\1", config.get("replacement", "$1"))
            labels[config["target_label"]] = match.expand(replacement)
    return {k: v for k, v in labels.items() if not k.startswith("__meta_")}


def pod(
    component: str = "serving",
    *,
    port: str = "metrics",
    scrape: str = "true",
    part_of: str = "slipway",
    phase: str = "Running",
) -> dict[str, str]:
    return {
        "__address__": "10.1.2.3:9103",
        "__meta_kubernetes_namespace": "ml",
        "__meta_kubernetes_pod_name": f"{component}-abc",
        "__meta_kubernetes_pod_phase": phase,
        "__meta_kubernetes_pod_container_port_name": port,
        "__meta_kubernetes_pod_annotation_prometheus_io_scrape": scrape,
        "__meta_kubernetes_pod_label_app_kubernetes_io_part_of": part_of,
        "__meta_kubernetes_pod_label_app_kubernetes_io_component": component,
    }


def test_kubernetes_discovery_keeps_the_metrics_port_of_the_suites_pods() -> None:
    config = yaml.safe_load(KUBERNETES_CONFIG.read_text())
    (job,) = config["scrape_configs"]
    assert job["kubernetes_sd_configs"] == [{"role": "pod"}]
    rules = job["relabel_configs"]
    for service in SERVICES:
        assert relabel(pod(service), rules) == {
            "__address__": "10.1.2.3:9103",
            "service": service,
            "namespace": "ml",
            "pod": f"{service}-abc",
        }
    assert relabel(pod(port="grpc"), rules) is None  # the gRPC port answers no HTTP
    assert relabel(pod(scrape="false"), rules) is None
    assert relabel(pod(part_of="other"), rules) is None
    assert relabel(pod(phase="Pending"), rules) is None
    assert relabel(pod("migrate"), rules) is None  # the migration job is no service
    assert config["rule_files"] == ["rules/slipway.rules.yml"]


# -- the dashboard -------------------------------------------------------------------------------


def test_the_dashboard_loads_and_every_panel_queries() -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    assert dashboard["uid"]
    assert dashboard["title"] == "Slipway"
    variables = {v["name"] for v in dashboard["templating"]["list"]}
    assert {"datasource", "job", "service", "model"} <= variables
    panels = dashboard["panels"]
    assert len({p["id"] for p in panels}) == len(panels)
    rows = [p["title"] for p in panels if p["type"] == "row"]
    assert rows == ["Services", "Serving", "Training", "Monitoring", "Audit log"]
    for panel in panels:
        if panel["type"] == "row":
            continue
        assert panel["datasource"]["uid"] == "${datasource}"
        assert panel["targets"], panel["title"]
        assert all(t["expr"].strip() and t["refId"] for t in panel["targets"]), panel["title"]
        grid = panel["gridPos"]
        assert grid["x"] + grid["w"] <= 24, panel["title"]
    every = " ".join(expr for _, expr in dashboard_expressions())
    for needed in (
        "grpc_server_handled_total",
        "grpc_server_handling_seconds_bucket",
        "slipway_serving_version",
        "slipway_serving_swaps_total",
        "slipway_serving_prediction_log_queue",
        "slipway_serving_prediction_logs_dropped_total",
        "slipway_training_jobs_finished_total",
        "slipway_training_jobs_running",
        "slipway_monitoring_alerts_firing",
        "slipway_monitoring_dataset_drifted",
        "slipway_monitoring_performance",
        "slipway_audit_chain_ok",
    ):
        assert needed in every, f"the dashboard shows no {needed}"
