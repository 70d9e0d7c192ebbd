"""deploy/k8s: every overlay renders with `kubectl kustomize`, validates strictly, and keeps its
promises: probes, resources, a locked-down pod, PDBs, network policies allowing exactly the
architecture's calls, serving's autoscaler and headless Service, and migrations only in the Job.

Nothing here needs a cluster or a Docker engine. The tools come from `make deploy-tools`; without
them these tests skip locally and fail under CI=true.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import psycopg
import pytest

from slipway.core.auth import token_hash
from slipway.services.monitoring.settings import MonitoringSettings
from slipway.services.registry.settings import RegistrySettings
from slipway.services.serving.settings import ServingSettings
from slipway.services.training.settings import TrainingSettings
from support.dockerfile import stages
from support.tools import in_ci, require_tool, unavailable

try:  # dev extras: `make venv`
    import yaml
    from kubernetes_validate import utils as validate_utils
except ImportError as missing:
    if in_ci():
        raise
    pytest.skip(f"{missing.name} is not installed (make venv)", allow_module_level=True)

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
SERVICES = ("registry", "training", "serving", "monitoring")
ENVIRONMENTS = ("dev", "prod")
OVERLAYS = tuple(f"{env}/{part}" for env in ENVIRONMENTS for part in (*SERVICES, "migrate"))
GRPC_PORT = {"registry": 7101, "training": 7102, "serving": 7103, "monitoring": 7104}
METRICS_PORT = {"registry": 9101, "training": 9102, "serving": 9103, "monitoring": 9104}
HEALTH_PORT = {"registry": 8101, "training": 8102, "serving": 8103, "monitoring": 8104}
# caller -> callee: every gRPC call between the services (README, architecture).
CALLS = {
    ("training", "registry"),
    ("serving", "registry"),
    ("serving", "monitoring"),
    ("monitoring", "registry"),
    ("monitoring", "training"),
    ("registry", "training"),
    ("registry", "monitoring"),
}
# The oldest Kubernetes release the manifests are for, and the newest the validator knows.
KUBERNETES_VERSIONS = ("1.31.0", validate_utils.latest_version())
IMAGE_HOME = "/var/lib/slipway"  # SLIPWAY_HOME in the image (tests/deploy/test_image.py)
SETTINGS = {
    "registry": RegistrySettings,
    "training": TrainingSettings,
    "serving": ServingSettings,
    "monitoring": MonitoringSettings,
}
PROBE_HANDLERS = {"grpc", "exec", "httpGet", "tcpSocket"}


@dataclass(frozen=True)
class Rendered:
    overlay: str
    path: Path
    objects: list[dict[str, Any]]

    @property
    def env(self) -> str:
        return self.overlay.split("/")[0]

    @property
    def part(self) -> str:
        return self.overlay.split("/")[1]

    def of(self, kind: str) -> list[dict[str, Any]]:
        return [o for o in self.objects if o["kind"] == kind]

    def one(self, kind: str, name: str) -> dict[str, Any]:
        found = [o for o in self.of(kind) if o["metadata"]["name"] == name]
        assert len(found) == 1, f"{self.overlay}: {len(found)} {kind} named {name}"
        return found[0]


@pytest.fixture(scope="module")
def kubectl():
    path = require_tool("kubectl", "apt-get install kubernetes-client, or make deploy-tools")
    done = subprocess.run(
        [path, "version", "--client", "-o", "json"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    version = (
        json.loads(done.stdout or "{}").get("kustomizeVersion", "") if done.returncode == 0 else ""
    )
    match = re.match(r"v(\d+)\.", version)
    if match is None or int(match.group(1)) < 5:
        unavailable(f"kubectl's kustomize is {version or 'unknown'}; the manifests need v5")
    return path


@pytest.fixture(scope="module")
def rendered(kubectl, tmp_path_factory) -> dict[str, Rendered]:
    folder = tmp_path_factory.mktemp("rendered")
    out: dict[str, Rendered] = {}
    for overlay in OVERLAYS:
        done = subprocess.run(
            [kubectl, "kustomize", str(K8S / "overlays" / overlay)],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, f"kubectl kustomize {overlay} failed:\n{done.stderr}"
        path = folder / f"{overlay.replace('/', '-')}.yaml"
        path.write_text(done.stdout)
        out[overlay] = Rendered(overlay, path, [o for o in yaml.safe_load_all(done.stdout) if o])
    return out


def service_overlays(rendered):
    return [rendered[f"{env}/{s}"] for env in ENVIRONMENTS for s in SERVICES]


def deployment(r: Rendered) -> dict[str, Any]:
    deployments = r.of("Deployment")
    assert [d["metadata"]["name"] for d in deployments] == [f"slipway-{r.part}"], r.overlay
    return deployments[0]


def pod_spec(workload: dict[str, Any]) -> dict[str, Any]:
    spec: dict[str, Any] = workload["spec"]["template"]["spec"]
    return spec


def containers(workload: dict[str, Any]) -> list[dict[str, Any]]:
    spec = pod_spec(workload)
    return [*spec.get("initContainers", []), *spec["containers"]]


def config(r: Rendered, container: dict[str, Any]) -> dict[str, str]:
    """The container's environment: its ConfigMaps, then its own `env` values."""
    values: dict[str, str] = {}
    for source in container.get("envFrom", []):
        name = source["configMapRef"]["name"]
        values.update(r.one("ConfigMap", name)["data"])
    for item in container.get("env", []):
        if "value" in item:
            values[item["name"]] = item["value"]
    return values


def mounts(workload: dict[str, Any], container: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Mount path -> the volume mounted there."""
    volumes = {v["name"]: v for v in pod_spec(workload).get("volumes", [])}
    return {m["mountPath"]: volumes[m["name"]] for m in container.get("volumeMounts", [])}


def mount_of(path: str, mounted: dict[str, dict[str, Any]]) -> tuple[str, dict[str, Any]] | None:
    for mount_path, volume in sorted(mounted.items(), key=lambda item: -len(item[0])):
        if PurePosixPath(path).is_relative_to(mount_path):
            return mount_path, volume
    return None


def labels_match(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return all(labels.get(k) == v for k, v in selector.items())


# --- rendering and validation ---------------------------------------------------------------


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_overlay_renders_what_it_deploys(rendered, overlay):
    r = rendered[overlay]
    kinds = sorted({o["kind"] for o in r.objects})
    if r.part == "migrate":
        assert {"Job", "NetworkPolicy"} <= set(kinds)
        assert not r.of("Deployment")
        return
    expected = {"Deployment", "Service", "ConfigMap", "PodDisruptionBudget", "NetworkPolicy"}
    expected |= {
        "serving": {"HorizontalPodAutoscaler"},
        "registry": {"PersistentVolumeClaim"},
        "training": {"PersistentVolumeClaim"},
    }.get(r.part, set())
    assert expected <= set(kinds), kinds
    assert set(kinds) - expected <= {"Secret"}, kinds
    namespaces = {o["metadata"].get("namespace") for o in r.objects}
    assert namespaces == {"slipway" if r.env == "prod" else "slipway-dev"}


@pytest.mark.slow  # validates every object against the schemas
@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
def test_every_rendered_object_validates_strictly(rendered, version):
    validator = require_tool("kubernetes-validate")
    files = [str(r.path) for r in rendered.values()]
    done = subprocess.run(
        [validator, "--strict", "--kubernetes-version", version, *files],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    total = sum(len(r.objects) for r in rendered.values())
    assert output.count(" passed for resource ") == total, output
    assert "ERROR" not in output, output
    assert "WARN" not in output, output


def test_strict_validation_rejects_an_unknown_field(tmp_path):
    """The check above would pass vacuously if --strict let unknown fields through."""
    validator = require_tool("kubernetes-validate")
    bad = tmp_path / "bad.yaml"
    bad.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  labelz: {}\n")
    done = subprocess.run(
        [validator, "--strict", "--kubernetes-version", KUBERNETES_VERSIONS[0], str(bad)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode != 0
    assert "labelz" in done.stdout + done.stderr


# --- pods ------------------------------------------------------------------------------------


def test_probes_are_native_grpc_probes_on_the_plaintext_health_port(rendered):
    """The kubelet's native gRPC probe speaks plaintext only: every overlay, TLS (prod) or not
    (dev), probes the health-only listener, which serves grpc.health.v1 and nothing else. No
    probe starts a process in the container, and no Service exposes the health port."""
    for r in service_overlays(rendered):
        workload = deployment(r)
        (container,) = pod_spec(workload)["containers"]
        port, health = GRPC_PORT[r.part], HEALTH_PORT[r.part]
        assert {"name": "grpc", "containerPort": port, "protocol": "TCP"} in container["ports"]
        assert {
            "name": "metrics",
            "containerPort": METRICS_PORT[r.part],
            "protocol": "TCP",
        } in container["ports"]
        assert {"name": "health", "containerPort": health, "protocol": "TCP"} in container["ports"]
        settings = config(r, container)
        prefix = f"SLIPWAY_{r.part.upper()}"
        assert settings[f"{prefix}_GRPC_ADDRESS"] == f"0.0.0.0:{port}"
        assert settings[f"{prefix}_METRICS_ADDRESS"] == f"0.0.0.0:{METRICS_PORT[r.part]}"
        assert settings[f"{prefix}_HEALTH_ADDRESS"] == f"0.0.0.0:{health}"
        assert ("SLIPWAY_TLS_CERT_FILE" in settings) == (r.env == "prod"), r.overlay
        for kind in ("startupProbe", "readinessProbe", "livenessProbe"):
            probe = container[kind]
            assert PROBE_HANDLERS & probe.keys() == {"grpc"}, (r.overlay, kind, probe)
            assert probe["grpc"] == {"port": health}, (r.overlay, kind)
        for service in r.of("Service"):
            exposed = {p["port"] for p in service["spec"]["ports"]}
            assert health not in exposed, (r.overlay, service["metadata"]["name"])


def test_every_container_has_requests_and_limits(rendered):
    for r in rendered.values():
        for workload in [*r.of("Deployment"), *r.of("Job")]:
            for container in containers(workload):
                resources = container["resources"]
                for part in ("requests", "limits"):
                    assert {"cpu", "memory"} <= resources[part].keys(), (
                        r.overlay,
                        container["name"],
                        part,
                    )


def test_pods_run_locked_down(rendered):
    for r in rendered.values():
        for workload in [*r.of("Deployment"), *r.of("Job")]:
            spec = pod_spec(workload)
            assert spec["securityContext"]["runAsNonRoot"] is True
            assert spec["securityContext"]["runAsUser"] != 0
            assert spec["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
            assert spec["automountServiceAccountToken"] is False
            for container in containers(workload):
                context = container["securityContext"]
                assert context["readOnlyRootFilesystem"] is True, (r.overlay, container["name"])
                assert context["allowPrivilegeEscalation"] is False
                assert context["runAsNonRoot"] is True
                assert context["capabilities"] == {"drop": ["ALL"]}


def test_every_writable_path_is_a_volume_and_every_file_a_secret(rendered):
    """A read-only root filesystem: home, caches, work and data folders and /tmp are volumes;
    token, tokens and TLS files come from Secrets."""
    for r in service_overlays(rendered):
        workload = deployment(r)
        (container,) = pod_spec(workload)["containers"]
        mounted = mounts(workload, container)
        settings = config(r, container)
        folders = {"SLIPWAY_HOME": settings.get("SLIPWAY_HOME", IMAGE_HOME), "tmp": "/tmp"}
        folders |= {k: v for k, v in settings.items() if k.endswith(("_DIR", "_ROOT"))}
        for key, path in folders.items():
            found = mount_of(path, mounted)
            assert found is not None, f"{r.overlay}: {key}={path} is on the read-only root"
            assert "emptyDir" in found[1] or "persistentVolumeClaim" in found[1], (key, found)
        files = {k: v for k, v in settings.items() if k.endswith("_FILE")}
        assert "SLIPWAY_TOKENS_FILE" in files
        for key, path in files.items():
            found = mount_of(path, mounted)
            assert found is not None, f"{r.overlay}: {key}={path}"
            assert "secret" in found[1], f"{r.overlay}: {key}={path}"
        expected_peer_token = {"registry": "SLIPWAY_REGISTRY_PEER_TOKEN_FILE"}.get(
            r.part, f"SLIPWAY_{r.part.upper()}_REGISTRY_TOKEN_FILE"
        )
        assert expected_peer_token in files
        database = [e for e in container["env"] if e["name"] == "SLIPWAY_DATABASE_URL"]
        assert database == [
            {
                "name": "SLIPWAY_DATABASE_URL",
                "valueFrom": {
                    "secretKeyRef": {
                        "name": database[0]["valueFrom"]["secretKeyRef"]["name"],
                        "key": "url",
                    }
                },
            }
        ]


def test_dev_generates_every_secret_prod_references(rendered):
    """Prod references Secrets created out of band (none is rendered); dev generates the same
    names from placeholder files, with every key the pods read."""
    for env in ENVIRONMENTS:
        for part in (*SERVICES, "migrate"):
            r = rendered[f"{env}/{part}"]
            secrets = {s["metadata"]["name"]: s for s in r.of("Secret")}
            if env == "prod":
                assert not secrets, r.overlay
            for workload in [*r.of("Deployment"), *r.of("Job")]:
                for name, keys in referenced_secrets(r, workload).items():
                    if env == "prod":
                        assert re.fullmatch(r"slipway-[a-z-]+", name), name
                        assert name in (K8S / "README.md").read_text(), (
                            f"deploy/k8s/README.md does not name the Secret {name}"
                        )
                        continue
                    assert name in secrets, (r.overlay, name)
                    assert keys <= secrets[name]["data"].keys(), (r.overlay, name, keys)


def referenced_secrets(r: Rendered, workload: dict[str, Any]) -> dict[str, set[str]]:
    """Secret name -> the keys a pod reads from it (mounted files or environment variables)."""
    found: dict[str, set[str]] = {}
    volumes = {v["name"]: v for v in pod_spec(workload).get("volumes", [])}
    for container in containers(workload):
        for item in container.get("env", []):
            ref = item.get("valueFrom", {}).get("secretKeyRef")
            if ref:
                found.setdefault(ref["name"], set()).add(ref["key"])
        for mount in container.get("volumeMounts", []):
            secret = volumes[mount["name"]].get("secret")
            if secret is None:
                continue
            keys = found.setdefault(secret["secretName"], set())
            for value in config(r, container).values():
                path = PurePosixPath(value)
                if path.parent == PurePosixPath(mount["mountPath"]):
                    keys.add(path.name)
            for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
                for arg in container.get(probe, {}).get("exec", {}).get("command", []):
                    if PurePosixPath(arg).parent == PurePosixPath(mount["mountPath"]):
                        keys.add(PurePosixPath(arg).name)
    return found


def test_dev_placeholder_tokens_match_the_dev_tokens_file():
    secrets = K8S / "overlays" / "dev" / "secrets"
    entries = json.loads((secrets / "tokens.json").read_text())["tokens"]
    by_principal = {e["principal"]: e for e in entries}
    for service in SERVICES:
        token = (secrets / f"{service}.token").read_text().strip()
        assert by_principal[service]["sha256"] == token_hash(token)
        # Each service's narrow role (core/roles.py), never the deprecated `service`.
        expected = {
            "registry": "viewer",
            "training": "trainer",
            "serving": "server",
            "monitoring": "monitor",
        }
        assert by_principal[service]["roles"] == [expected[service]]
    admin = (secrets / "admin.token").read_text().strip()
    assert by_principal["dev-admin"]["sha256"] == token_hash(admin)
    assert all("placeholder" in (secrets / f"{s}.token").read_text() for s in SERVICES)


def test_images_are_the_dockerfile_targets_and_pinned_in_prod(rendered):
    targets = set(stages())
    for r in rendered.values():
        for workload in [*r.of("Deployment"), *r.of("Job")]:
            for container in containers(workload):
                image = container["image"]
                name, _, tag = image.rpartition(":")
                assert name.rpartition("/")[2] == f"slipway-{r.part}", image
                assert r.part in targets, f"no Dockerfile target {r.part}"
                assert tag not in {"", "latest"}, image
                if r.env == "prod":
                    assert "/" in name, f"prod image {image} names no registry"


# --- services, scaling, disruption ------------------------------------------------------------


def test_services_select_their_pods_on_named_ports(rendered):
    for r in service_overlays(rendered):
        pod_labels = deployment(r)["spec"]["template"]["metadata"]["labels"]
        service = r.one("Service", f"slipway-{r.part}")
        assert labels_match(service["spec"]["selector"], pod_labels)
        ports = {p["name"]: p for p in service["spec"]["ports"]}
        assert ports["grpc"]["port"] == GRPC_PORT[r.part]
        assert ports["grpc"]["targetPort"] == "grpc"
        assert ports["metrics"]["port"] == METRICS_PORT[r.part]


def test_peer_targets_name_services_of_the_same_environment(rendered):
    for env in ENVIRONMENTS:
        services = {
            (s["metadata"]["name"], p["port"])
            for part in SERVICES
            for s in rendered[f"{env}/{part}"].of("Service")
            for p in s["spec"]["ports"]
        }
        for part in SERVICES:
            r = rendered[f"{env}/{part}"]
            (container,) = pod_spec(deployment(r))["containers"]
            for key, value in config(r, container).items():
                if key.endswith("_TARGET"):
                    host, _, port = value.rpartition(":")
                    assert (host, int(port)) in services, (r.overlay, key, value)


def test_serving_scales_with_an_autoscaler_and_a_headless_service(rendered):
    for env in ENVIRONMENTS:
        r = rendered[f"{env}/serving"]
        workload = deployment(r)
        assert "replicas" not in workload["spec"], "the autoscaler owns serving's replica count"
        (hpa,) = r.of("HorizontalPodAutoscaler")
        assert hpa["spec"]["scaleTargetRef"] == {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "name": "slipway-serving",
        }
        assert 1 <= hpa["spec"]["minReplicas"] < hpa["spec"]["maxReplicas"]
        assert hpa["spec"]["metrics"][0]["resource"]["name"] == "cpu"
        headless = r.one("Service", "slipway-serving-headless")
        assert headless["spec"]["clusterIP"] == "None"
        assert headless["spec"].get("publishNotReadyAddresses", False) is False
        pod_labels = workload["spec"]["template"]["metadata"]["labels"]
        assert labels_match(headless["spec"]["selector"], pod_labels)
        assert [(p["name"], p["port"]) for p in headless["spec"]["ports"]] == [("grpc", 7103)]
    assert rendered["prod/serving"].of("HorizontalPodAutoscaler")[0]["spec"]["minReplicas"] >= 2


def test_training_scales_by_replicas_on_the_database_queue(rendered):
    workload = deployment(rendered["prod/training"])
    assert workload["spec"]["replicas"] >= 2
    (container,) = pod_spec(workload)["containers"]
    assert int(config(rendered["prod/training"], container)["SLIPWAY_TRAINING_WORKERS"]) >= 1


def test_every_service_has_a_disruption_budget(rendered):
    for r in service_overlays(rendered):
        pod_labels = deployment(r)["spec"]["template"]["metadata"]["labels"]
        (pdb,) = r.of("PodDisruptionBudget")
        assert labels_match(pdb["spec"]["selector"]["matchLabels"], pod_labels)
        assert (
            pdb["spec"]["selector"]["matchLabels"]
            == deployment(r)["spec"]["selector"]["matchLabels"]
        )
        assert pdb["spec"]["maxUnavailable"] == 1


# --- network policies ------------------------------------------------------------------------


def _peer(entry: dict[str, Any]) -> str:
    pods = entry.get("podSelector", {}).get("matchLabels", {})
    if "namespaceSelector" in entry:
        namespaces = entry["namespaceSelector"]
        if namespaces == {} and pods == {"slipway.io/client": "true"}:
            return "clients"
        if namespaces == {} and pods == {"app.kubernetes.io/name": "prometheus"}:
            return "prometheus"
        if namespaces == {
            "matchLabels": {"kubernetes.io/metadata.name": "kube-system"}
        } and pods == {"k8s-app": "kube-dns"}:
            return "dns"
        raise AssertionError(f"unexpected peer {entry}")
    assert set(entry) == {"podSelector"}, entry
    assert set(pods) == {"app.kubernetes.io/name", "app.kubernetes.io/component"}, entry
    assert pods["app.kubernetes.io/name"] == "slipway"
    return str(pods["app.kubernetes.io/component"])


def allowed(policy: dict[str, Any], direction: str) -> set[tuple[str, int, str]]:
    """(peer, port, protocol) triples a policy allows; peer "anywhere" for a rule with no peers."""
    key = "from" if direction == "ingress" else "to"
    out: set[tuple[str, int, str]] = set()
    for rule in policy["spec"].get(direction) or []:
        peers = [_peer(entry) for entry in rule.get(key, [])] or ["anywhere"]
        assert rule.get("ports"), f"a rule without ports allows every port: {rule}"
        for port in rule["ports"]:
            out |= {(peer, port["port"], port["protocol"]) for peer in peers}
    return out


BASE_EGRESS = {("dns", 53, "UDP"), ("dns", 53, "TCP"), ("anywhere", 5432, "TCP")}


def test_network_policies_allow_exactly_the_architectures_calls(rendered):
    for r in service_overlays(rendered):
        workload = deployment(r)
        (policy,) = r.of("NetworkPolicy")
        assert (
            policy["spec"]["podSelector"]["matchLabels"]
            == workload["spec"]["selector"]["matchLabels"]
        )
        assert sorted(policy["spec"]["policyTypes"]) == ["Egress", "Ingress"]
        me = r.part
        callers = {caller for caller, callee in CALLS if callee == me}
        callees = {callee for caller, callee in CALLS if caller == me}
        assert allowed(policy, "ingress") == {
            *((c, GRPC_PORT[me], "TCP") for c in (*callers, "clients")),
            ("prometheus", METRICS_PORT[me], "TCP"),
        }, r.overlay
        assert allowed(policy, "egress") == BASE_EGRESS | {
            (c, GRPC_PORT[c], "TCP") for c in callees
        }, r.overlay
        # The policy and the configuration agree: each peer it may call is one it is told to.
        (container,) = pod_spec(workload)["containers"]
        targets = {v for k, v in config(r, container).items() if k.endswith("_TARGET")}
        assert targets == {f"slipway-{c}:{GRPC_PORT[c]}" for c in callees}, r.overlay


def test_the_migration_talks_to_postgresql_only(rendered):
    for env in ENVIRONMENTS:
        r = rendered[f"{env}/migrate"]
        (policy,) = r.of("NetworkPolicy")
        (job,) = r.of("Job")
        assert labels_match(
            policy["spec"]["podSelector"]["matchLabels"],
            job["spec"]["template"]["metadata"]["labels"],
        )
        assert sorted(policy["spec"]["policyTypes"]) == ["Egress", "Ingress"]
        assert allowed(policy, "ingress") == set()
        assert allowed(policy, "egress") == BASE_EGRESS


# --- migrations ------------------------------------------------------------------------------


def _runs_migrations(container: dict[str, Any], settings: dict[str, str]) -> bool:
    words = [*container.get("command", []), *container.get("args", [])]
    upgrade = any(words[i : i + 2] == ["db", "upgrade"] for i in range(len(words)))
    auto = settings.get("SLIPWAY_AUTO_MIGRATE", "").lower() in {"1", "true", "yes", "on"}
    auto |= any(
        k.endswith("_AUTO_MIGRATE") and v.lower() in {"1", "true", "yes", "on"}
        for k, v in settings.items()
    )
    return upgrade or auto


def test_migrations_run_in_the_job_and_never_at_service_start(rendered):
    for r in service_overlays(rendered):
        for container in containers(deployment(r)):
            assert container["args"] == [r.part]
            assert not _runs_migrations(container, config(r, container)), r.overlay
            url = next(e for e in container["env"] if e["name"] == "SLIPWAY_DATABASE_URL")
            assert url["valueFrom"]["secretKeyRef"]["name"].startswith("slipway-database")
            assert "owner" not in url["valueFrom"]["secretKeyRef"]["name"], (
                "services connect as slipway_app, not the owner"
            )
    for env in ENVIRONMENTS:
        (job,) = rendered[f"{env}/migrate"].of("Job")
        spec = pod_spec(job)
        assert spec["restartPolicy"] == "Never"
        (upgrade,) = spec["initContainers"]
        assert upgrade["args"] == ["db", "upgrade"]
        (roles,) = spec["containers"]
        for container in (upgrade, roles):
            url = next(e for e in container["env"] if e["name"] == "SLIPWAY_DATABASE_URL")
            assert "slipway-database-owner" in url["valueFrom"]["secretKeyRef"]["name"]
        roles_sql = next(e["value"] for e in roles["env"] if e["name"] == "SLIPWAY_ROLES_SQL")
        copies = [text.split() for text in stages()["runtime"].all("COPY")]
        assert ["deploy/postgres/roles.sql", roles_sql] in copies, (
            "the image does not carry roles.sql where the Job reads it"
        )


@pytest.mark.postgres
def test_the_migration_jobs_commands_migrate_and_apply_the_roles(rendered, postgres_cluster):
    """The Job's two containers, run here as they run in the pod, against a fresh database."""
    (job,) = rendered["prod/migrate"].of("Job")
    spec = pod_spec(job)
    (upgrade,) = spec["initContainers"]
    (roles,) = spec["containers"]
    name = postgres_cluster.create_database()
    try:
        env = {
            **os.environ,
            "SLIPWAY_DATABASE_URL": postgres_cluster.url(name),
            "SLIPWAY_ROLES_SQL": str(ROOT / "deploy" / "postgres" / "roles.sql"),
        }
        slipway = str(Path(sys.executable).parent / "slipway")
        for argv in (
            [slipway, *upgrade["args"]],
            [sys.executable, *roles["command"][1:]],
            [sys.executable, *roles["command"][1:]],  # idempotent: every release
            [slipway, "db", "check"],
        ):
            done = subprocess.run(
                argv, env=env, capture_output=True, text=True, timeout=120, check=False
            )
            assert done.returncode == 0, f"{argv[:2]}: {done.stdout}\n{done.stderr}"
        plain = postgres_cluster.url(name).replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(plain) as connection:
            names = {
                row[0]
                for row in connection.execute(
                    "SELECT rolname FROM pg_roles WHERE rolname LIKE 'slipway_%'"
                )
            }
        assert {"slipway_app", "slipway_auditor"} <= names
    finally:
        postgres_cluster.drop_database(name)


def test_every_setting_in_the_manifests_is_one_the_service_reads(rendered):
    """Unknown SLIPWAY_ variables are ignored silently; a typo here would go unnoticed."""
    for r in service_overlays(rendered):
        settings_class = SETTINGS[r.part]
        known = {"SLIPWAY_HOME"} | {
            name
            for f in dataclasses.fields(settings_class)
            for name in settings_class.env_names(f.name)
        }
        (container,) = pod_spec(deployment(r))["containers"]
        names = set(config(r, container)) | {e["name"] for e in container["env"]}
        assert names - known == set(), r.overlay
        # Each value is one the settings accept.
        values = {k: v for k, v in config(r, container).items() if k != "SLIPWAY_HOME"}
        settings_class.from_sources(None, {**values, "SLIPWAY_DATABASE_URL": "sqlite://"})
