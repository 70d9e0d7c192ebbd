"""The `slipway` commands people use, run in-process against a real `slipway up` suite.

One suite (free ports, its own SLIPWAY_HOME, monitoring evaluating every second) serves the
module. Commands find it through $SLIPWAY_HOME/suite.json as a person's would. The fixture
`flowers` trains a version through the client API, makes it production and has serving load it;
tests that need their own resources (a model trained by `slipway train`, a policy) create them
under their own names.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
import signal
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import grpc
import numpy as np
import pytest
from google.protobuf import json_format

from slipway import client
from slipway.cli import names
from slipway.cli.lineage import markdown_to_text
from slipway.cli.main import main
from slipway.cli.output import CliError
from slipway.cli.train import ProgressBar
from slipway.core.audit import Outcome, record
from slipway.core.bootstrap import connect_database
from slipway.core.context import ANONYMOUS
from slipway.core.db import default_database_url
from slipway.inference.v2 import grpc_service_pb2 as infer_pb
from slipway.inference.v2 import grpc_service_pb2_grpc as infer_grpc
from slipway.registry.v1 import model_version_pb2
from slipway.registry.v1 import registry_service_pb2 as registry_pb
from slipway.registry.v1 import registry_service_pb2_grpc as registry_grpc
from slipway.training.v1 import training_job_pb2
from support.registry import model_bytes
from support.suite import wait_for_suite
from support.training import bundled, job
from support.waiting import wait_until_sync

WAIT_SECONDS = 60
FEATURES = ["sepal length (cm)", "sepal width (cm)", "petal length (cm)", "petal width (cm)"]
ROWS = [[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3], [5.9, 3.0, 4.2, 1.5]]

pytestmark = pytest.mark.slow


# -- the suite ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def suite(tmp_path_factory):
    home = tmp_path_factory.mktemp("people") / "home"
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLIPWAY_")}
    env.update(SLIPWAY_HOME=str(home), SLIPWAY_MONITORING_EVALUATION_INTERVAL_SECONDS="1")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "slipway.cli.main",
            "up",
            "--grpc-port-base",
            "0",
            "--metrics-port-base",
            "0",
            "--shutdown-grace",
            "2",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        info = wait_for_suite(process, home)
        info["token"] = Path(info["token_file"]).read_text().strip()
        info["home_path"] = home
        yield info
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        try:
            process.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()


def address(suite, service):
    return suite["services"][service]["grpc_address"]


@pytest.fixture(autouse=True)
def env(request, monkeypatch, tmp_path):
    """Commands find the module's suite through SLIPWAY_HOME, never through stray settings;
    files they write land in the test's own folder."""
    for key in list(os.environ):
        if key.startswith("SLIPWAY_"):
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)
    if "suite" in request.fixturenames:
        monkeypatch.setenv("SLIPWAY_HOME", str(request.getfixturevalue("suite")["home_path"]))


@pytest.fixture(scope="module")
def flowers(suite):
    """Version 1 of models/flowers (iris), production, loaded by serving."""
    targets = {name: info["grpc_address"] for name, info in suite["services"].items()}
    with client.connect(targets, token=suite["token"]) as connection:
        created = connection.training.create(job("models/flowers", dataset=bundled("iris")))
        done = connection.training.wait(created.name, WAIT_SECONDS)
        assert done.state == training_job_pb2.TRAINING_JOB_STATE_SUCCEEDED, done.failure
        connection.registry.set_alias("flowers", "production", 1, reason="first flowers")
    with grpc.insecure_channel(address(suite, "serving")) as channel:
        infer_grpc.GRPCInferenceServiceStub(channel).RepositoryModelLoad(
            infer_pb.RepositoryModelLoadRequest(model_name="flowers@production"),
            metadata=(("authorization", f"Bearer {suite['token']}"),),
            timeout=WAIT_SECONDS,
        )
    return done


def run(capsys, *argv):
    """``slipway ARGV`` in this process: its exit code, stdout and stderr."""
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out, err


def lines(text):
    return [line for line in text.splitlines() if line.strip()]


# -- training ----------------------------------------------------------------------------------


def test_train_waits_with_a_progress_bar_and_the_job_is_listed(suite, capsys):
    code, out, err = run(
        capsys,
        "train",
        "--model",
        "iris",
        "--dataset",
        "bundled:iris",
        "--estimator",
        "LogisticRegression",
        "--param",
        "max_iter=300",
        "--search",
        "grid",
        "--search-param",
        "C=0.5,1.0",
        "--cv-folds",
        "3",
        "--alias-on-success",
        "challenger",
        "--reason",
        "first iris from the command line",
        "--wait",
    )
    assert code == 0, err
    progress = [line for line in err.splitlines() if line.startswith("[")]
    assert "\r" not in err  # not a terminal: one line per change
    assert len(progress) >= 3, err
    assert progress[-1].endswith("100.0% succeeded")
    assert any("searching trial" in line for line in progress)
    assert len(set(progress)) == len(progress)
    assert lines(out)[0].endswith("succeeded: models/iris/versions/1")
    assert "best params: C=" in out
    assert "alias challenger -> models/iris/versions/1" in out

    code, out, _ = run(capsys, "jobs", "list", "--model", "iris", "--json")
    assert code == 0
    [listed] = json.loads(out)
    assert listed["state"] == "TRAINING_JOB_STATE_SUCCEEDED"
    assert listed["search"]["parameters"][0]["values"]["values"][0] == {"double_value": 0.5}
    assert listed["estimator"]["estimator"]["hyperparameters"]["max_iter"] == {"int_value": "300"}
    code, out, _ = run(capsys, "jobs", "get", listed["name"].removeprefix("trainingJobs/"))
    assert code == 0
    assert "model version:    models/iris/versions/1" in out
    code, out, _ = run(capsys, "jobs", "list")
    assert lines(out)[0].split()[:3] == ["JOB", "MODEL", "STATE"]


def test_a_job_that_fails_exits_1_with_its_reason(suite, capsys):
    code, _, err = run(
        capsys,
        "train",
        "--model",
        "slow",
        "--dataset",
        "bundled:digits",
        "--estimator",
        "ExtraTreesClassifier",
        "--param",
        "n_estimators=20000",
        "--max-runtime",
        "0.5",
        "--wait",
    )
    assert code == 1
    assert lines(err)[-1].startswith("error: trainingJobs/")
    assert "failed (TIMEOUT)" in lines(err)[-1]


def test_a_spec_file_is_validated_with_flags_over_it(suite, capsys, tmp_path):
    spec = tmp_path / "job.json"
    spec.write_text(json_format.MessageToJson(job("models/wine", dataset=bundled("wine"))))
    code, out, _ = run(
        capsys, "train", "--spec", spec, "--model", "other", "--validate-only", "--json"
    )
    assert (code, json.loads(out)) == (0, {"valid": True})
    code, _, err = run(
        capsys, "train", "--spec", spec, "--estimator", "NoSuchEstimator", "--validate-only"
    )
    assert code == 3
    assert lines(err)[0].startswith("error: INVALID_ARGUMENT (")
    assert "NoSuchEstimator" in err


# -- the registry ------------------------------------------------------------------------------


def test_models_versions_and_aliases_as_tables_and_json(flowers, capsys):
    code, out, _ = run(capsys, "models", "list")
    assert code == 0
    header, *rows = lines(out)
    assert header.split()[:3] == ["MODEL", "LATEST", "ALIASES"]
    assert any(row.split()[:3] == ["flowers", "1", "production=v1"] for row in rows)
    code, out, _ = run(capsys, "models", "get", "flowers", "--json")
    assert json.loads(out)["aliases"] == {"production": "1"}

    code, out, _ = run(capsys, "versions", "list", "flowers")
    assert code == 0
    header, row = lines(out)
    assert header.split()[:4] == ["VERSION", "STATE", "ALIASES", "METRICS"]
    assert row.split()[:3] == ["1", "ready", "production"]
    code, out, _ = run(capsys, "versions", "get", "models/flowers@production", "--json")
    version = json.loads(out)
    assert version["name"] == "models/flowers/versions/1"
    code, out, _ = run(capsys, "versions", "get", "flowers:1")
    assert "state:" in out
    assert f"training job: {flowers.name}" in out

    code, out, _ = run(
        capsys, "aliases", "set", "flowers", "staging", "1", "--reason", "ready for the shadow test"
    )
    assert (code, out.strip()) == (0, "flowers@staging set: v1")
    code, out, _ = run(capsys, "aliases", "history", "flowers")
    assert code == 0
    header, *rows = lines(out)
    assert header.split() == ["WHEN", "ALIAS", "CHANGE", "FROM", "TO", "WHO", "REASON"]
    assert rows[-1].split()[2:] == [
        "staging",
        "set",
        "-",
        "v1",
        "local-admin",
        "ready",
        "for",
        "the",
        "shadow",
        "test",
    ]
    code, out, _ = run(capsys, "aliases", "history", "flowers", "--alias", "production", "--json")
    [entry] = json.loads(out)
    assert (entry["alias"], entry["reason"], entry["actor"]["name"]) == (
        "production",
        "first flowers",
        "local-admin",
    )

    code, out, _ = run(capsys, "versions", "download", "flowers@production")
    assert code == 0
    written = Path("flowers-v1.skops")
    assert hashlib.sha256(written.read_bytes()).hexdigest() == version["artifact"]["sha256"]
    assert "(checked)" in out


def test_model_create_update_delete(suite, capsys):
    assert run(capsys, "models", "create", "churn", "--label", "team=fraud")[0] == 0
    code, out, _ = run(
        capsys,
        "models",
        "update",
        "churn",
        "--description",
        "who leaves",
        "--label",
        "tier=gold",
        "--remove-label",
        "team",
        "--json",
    )
    assert code == 0
    assert json.loads(out)["labels"] == {"tier": "gold"}
    code, out, _ = run(capsys, "models", "delete", "churn", "--reason", "not needed")
    assert (code, out.strip()) == (0, "deleted models/churn")
    # The server's name and label rules reach the command line as one-line errors.
    code, _, err = run(capsys, "models", "create", "Fraud_Model.v2")
    assert code == 3
    assert lines(err)[0].startswith("error: INVALID_ARGUMENT (INVALID_MODEL_ID): ")
    code, _, err = run(capsys, "models", "create", "fraud-v2", "--label", "team=Hello World")
    assert code == 3
    assert lines(err)[0].startswith("error: INVALID_ARGUMENT (INVALID_LABEL): ")
    assert run(capsys, "models", "create", "fraud-v2", "--label", "team=fraud_ops")[0] == 0


# -- serving -----------------------------------------------------------------------------------


def test_predict_reads_csv_json_and_standard_input(flowers, capsys, tmp_path, monkeypatch):
    rows_csv = tmp_path / "rows.csv"
    with rows_csv.open("w", newline="") as handle:
        csv.writer(handle).writerows([FEATURES, *ROWS])
    code, out, err = run(capsys, "predict", "flowers", "--input", rows_csv)
    assert code == 0, err
    header, *rows = lines(out)
    assert header.split()[:2] == ["ROW", "PREDICT"]
    assert "PREDICT_PROBA[0]" in header
    assert [row.split()[:2] for row in rows] == [["0", "0"], ["1", "2"], ["2", "1"]]
    assert "answered by version 1" in err

    rows_json = tmp_path / "rows.json"
    rows_json.write_text(json.dumps([dict(zip(FEATURES, r, strict=True)) for r in ROWS]))
    code, out, _ = run(capsys, "predict", "flowers@production", "--input", rows_json, "--json")
    answer = json.loads(out)
    assert (code, answer["model_version"], answer["outputs"]["predict"]) == (0, "1", [0, 2, 1])
    assert np.allclose(np.sum(answer["outputs"]["predict_proba"], axis=1), 1.0)

    monkeypatch.setattr("sys.stdin", io.StringIO(json.dumps({"instances": ROWS[:1]})))
    code, out, _ = run(
        capsys, "predict", "flowers:1", "--input", "-", "--output", "predict", "--json"
    )
    assert (code, json.loads(out)["outputs"]) == (0, {"predict": [0]})


# -- monitoring --------------------------------------------------------------------------------


def test_policies_alerts_and_a_drift_report(flowers, capsys, tmp_path):
    policy = tmp_path / "policy.json"
    policy.write_text(
        json.dumps(
            {
                "model": "models/flowers",
                "description": "flowers inputs",
                "window": {"row_count": 40},
                "min_samples": 40,
                "action": "POLICY_ACTION_ALERT",
            }
        )
    )
    code, out, _ = run(
        capsys,
        "monitor",
        "policies",
        "create",
        "--file",
        policy,
        "--id",
        "flowers-drift",
        "--reason",
        "watch the flowers",
    )
    assert (code, out.strip()) == (0, "created monitoringPolicies/flowers-drift for models/flowers")
    code, out, _ = run(capsys, "monitor", "policies", "list", "--model", "flowers")
    assert lines(out)[1].split()[:5] == ["flowers-drift", "flowers", "40", "rows", "40"]
    code, out, _ = run(capsys, "monitor", "policies", "get", "flowers-drift", "--json")
    assert json.loads(out)["window"] == {"row_count": "40"}

    # Upstream doubles the sepal measurements: 60 drifted rows fill a window.
    rng = np.random.default_rng(3)
    drifted = np.asarray(ROWS * 20) * [2.0, 2.0, 1.0, 1.0] + rng.normal(0, 0.1, (60, 4))
    (tmp_path / "drifted.json").write_text(json.dumps(drifted.tolist()))
    assert run(capsys, "predict", "flowers", "-i", tmp_path / "drifted.json")[0] == 0

    def firing() -> list[dict[str, Any]]:
        code, out, _ = run(
            capsys,
            "monitor",
            "alerts",
            "--model",
            "flowers",
            "--state",
            "firing",
            "--kind",
            "data_drift",
            "--json",
        )
        assert code == 0
        found: list[dict[str, Any]] = json.loads(out)
        return found

    [alert] = wait_until_sync(firing, "a firing drift alert", WAIT_SECONDS, poll=0.5)
    assert alert["model_version"] == "models/flowers/versions/1"

    code, out, _ = run(capsys, "monitor", "alerts", "--model", "flowers")
    header, *rows = lines(out)
    assert header.split()[:4] == ["FIRED", "ALERT", "VERSION", "KIND"]
    assert any("data_drift" in row and "firing" in row for row in rows)
    code, out, _ = run(
        capsys, "monitor", "alerts", "--model", "flowers", "--watch", "--watch-for", "1"
    )
    assert code == 0
    assert any(line.startswith("EXISTING") and "data_drift" in line for line in lines(out))
    code, out, _ = run(capsys, "monitor", "alert", alert["name"].removeprefix("alerts/"))
    assert "Data drift: DRIFT" in out

    code, out, _ = run(
        capsys, "monitor", "report", "flowers@production", "--policy", "flowers-drift"
    )
    assert code == 0
    assert "Data drift: DRIFT" in out
    sepal = next(line for line in lines(out) if line.startswith("sepal length (cm)"))
    assert sepal.split()[3:5] == ["numeric", "ks"]
    assert "DRIFT" in sepal
    assert "Data quality:" in out
    assert "Performance: no labeled rows" in out
    code, out, _ = run(capsys, "monitor", "report", "flowers:1", "--json", "--fail-on-drift")
    assert code == 1
    report = json.loads(out)
    assert report["data_drift"]["drifted"] is True
    code, _, err = run(capsys, "monitor", "report", "flowers:1", "--since", "1h", "--until", "2h")
    assert code == 3
    assert "INVALID_ARGUMENT (INVALID_WINDOW)" in err

    code, out, _ = run(capsys, "monitor", "policies", "delete", "flowers-drift", "--reason", "done")
    assert (code, out.strip()) == (0, "deleted monitoringPolicies/flowers-drift")


# -- lineage -----------------------------------------------------------------------------------


def test_lineage_as_markdown_json_and_text(flowers, capsys, tmp_path):
    code, out, _ = run(capsys, "lineage", "models/flowers@production", "--format", "markdown")
    assert code == 0
    assert out.startswith("# Lineage report: models/flowers/versions/1")
    assert "first flowers" in out
    code, out, _ = run(capsys, "lineage", "flowers:1", "--format", "json")
    report = json.loads(out)
    assert report["model_version"]["name"] == "models/flowers/versions/1"
    assert report["training_job"]["name"] == flowers.name
    assert report["audit_verification"]["status"] == "CHAIN_STATUS_OK"
    code, out, _ = run(capsys, "lineage", "flowers")  # production by default, as text
    assert code == 0
    assert out.startswith("Lineage report: models/flowers/versions/1\n=====")
    assert "`" not in out
    assert "**" not in out
    target = tmp_path / "lineage.md"
    code, _, err = run(capsys, "lineage", "flowers", "--format", "markdown", "-o", target)
    assert code == 0
    assert target.read_text().startswith("# Lineage report")
    assert str(target) in err


HOSTILE = "<script>alert(1)</script> | **bold** `tick` \x1b[2K\rforged"


def test_lineage_escapes_what_users_wrote_and_leaves_out_anonymous_refusals(
    suite, capsys, tmp_path
):
    targets = {name: info["grpc_address"] for name, info in suite["services"].items()}
    model_file = tmp_path / "model.skops"
    model_file.write_bytes(model_bytes(3))
    with client.connect(targets, token=suite["token"]) as connection:
        version = connection.registry.create_version(
            "models/hostile",
            model_file,
            model_version_pb2.ModelVersion(description=HOSTILE, labels={"note": "hostile"}),
            create_model=True,
        )
        connection.registry.set_alias("hostile", "staging", version.version_number, reason=HOSTILE)
    # Anonymous callers name the version; an event in the form refusals had before they were
    # counted (with the caller's resource and text) is in the log too.
    with grpc.insecure_channel(address(suite, "registry")) as channel:
        stub = registry_grpc.RegistryServiceStub(channel)
        for _ in range(3):
            with pytest.raises(grpc.RpcError):
                stub.SetModelAlias(
                    registry_pb.SetModelAliasRequest(
                        name="models/hostile", alias="staging", version_number=1, reason="ANON-1"
                    ),
                    timeout=WAIT_SECONDS,
                )
    db = connect_database(default_database_url(suite["home_path"]))
    try:
        with db.unit_of_work() as session:
            record(
                session,
                service="registry",
                action="registry.SetModelAlias",
                resource=version.name,
                reason="ANON-2 **forged**",
                outcome=Outcome.DENIED,
                status_code="UNAUTHENTICATED",
                principal=ANONYMOUS,
            )
    finally:
        db.dispose()

    code, out, _ = run(capsys, "lineage", "hostile@staging", "--format", "markdown")
    assert code == 0
    assert "ANON-" not in out
    assert "<script" not in out
    assert "\x1b" not in out
    assert "\r" not in out
    assert "&lt;script&gt;alert(1)&lt;/script&gt; | \\*\\*bold\\*\\* \\`tick\\` \\\\x1b" in out
    [move] = [line for line in out.splitlines() if "| `staging` | none → v1 |" in line]
    assert len(re.findall(r"(?<!\\)\|", move)) == 6  # five columns: the reason's pipe is escaped
    code, text, _ = run(capsys, "lineage", "hostile@staging")
    assert code == 0
    assert "Description: <script>alert(1)</script> | **bold** `tick` \\x1b[2K forged" in text
    assert "ANON-" not in text


# -- errors ------------------------------------------------------------------------------------


def test_an_rpc_error_is_one_line_with_code_and_reason_and_exit_3(flowers, capsys):
    code, out, err = run(capsys, "versions", "get", "flowers:99")
    assert (code, out) == (3, "")
    [line] = lines(err)
    assert line.startswith("error: NOT_FOUND (VERSION_NOT_FOUND): ")
    assert "models/flowers/versions/99" in line
    code, _, err = run(capsys, "aliases", "set", "flowers", "production", "99", "--reason", "x")
    assert code == 3
    assert lines(err)[0].startswith("error: NOT_FOUND (")


def test_unreachable_and_unauthenticated_calls_exit_3(suite, capsys, monkeypatch, tmp_path):
    with socket.socket() as closed:  # bound, never listening: connections are refused
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
        code, _, err = run(
            capsys, "models", "list", "--target", f"127.0.0.1:{port}", "--timeout", "5"
        )
    assert code == 3
    [line] = lines(err)
    assert line.startswith("error: UNAVAILABLE: ")

    monkeypatch.setenv("SLIPWAY_HOME", str(tmp_path / "empty"))
    monkeypatch.setenv("SLIPWAY_REGISTRY_TARGET", address(suite, "registry"))
    code, _, err = run(capsys, "models", "list")
    assert code == 3
    [line] = lines(err)
    assert line.startswith("error: UNAUTHENTICATED (")
    assert "no token was sent" in line
    monkeypatch.setenv("SLIPWAY_TOKEN", suite["token"])
    assert run(capsys, "models", "list", "--json")[0] == 0


def test_no_target_and_bad_usage_exit_2(capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("SLIPWAY_HOME", str(tmp_path / "nothing-here"))
    code, out, err = run(capsys, "models", "list")
    assert (code, out) == (2, "")
    [line] = lines(err)
    assert line.startswith("error: no target for registry: pass --target")
    code, _, err = run(capsys, "jobs", "list")
    assert code == 2
    assert len(lines(err)) == 1
    assert "SLIPWAY_TRAINING_TARGET" in err
    monkeypatch.setenv("SLIPWAY_TARGET", "127.0.0.1:1")
    code, _, err = run(capsys, "versions", "get", "flowers")
    assert (code, lines(err)) == (
        2,
        ["error: 'flowers' names a model, not a version; write flowers:NUMBER or flowers@ALIAS"],
    )
    code, _, err = run(capsys, "predict", "flowers", "--input", tmp_path / "missing.csv")
    assert code == 2
    assert "cannot read" in err
    with pytest.raises(SystemExit) as exited:
        main(["train", "--search", "exhaustive"])
    assert exited.value.code == 2


# -- pieces ------------------------------------------------------------------------------------


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_the_progress_bar_redraws_one_line_on_a_terminal():
    stream = Terminal()
    bar = ProgressBar(stream)
    job_ = training_job_pb2.TrainingJob(state=training_job_pb2.TRAINING_JOB_STATE_RUNNING)
    for percent in (10.0, 10.0, 55.0):
        job_.progress.percent = percent
        bar(job_)
    job_.state = training_job_pb2.TRAINING_JOB_STATE_SUCCEEDED
    job_.progress.percent = 100.0
    bar(job_)
    bar.close()
    text = stream.getvalue()
    assert text.count("\r") == 3  # the repeated 10% is not redrawn
    assert text.count("\n") == 1
    assert text.rstrip().endswith("100.0% succeeded")


def test_names_people_write():
    assert names.version_ref("iris").name == "models/iris"
    assert names.version_ref("iris", default_alias="production").name == "models/iris@production"
    assert names.version_ref("iris:3").name == "models/iris/versions/3"
    assert names.version_ref("models/iris/versions/3").number == 3
    assert names.version_ref("models/iris@champion").alias == "champion"
    assert names.job("abc") == names.job("trainingJobs/abc") == "trainingJobs/abc"
    with pytest.raises(CliError):
        names.version_ref("iris@")
    before = names.moment("90m")
    assert 5390 < (names.moment("0s") - before).total_seconds() < 5410
    assert names.moment("2025-05-01T12:00").isoformat() == "2025-05-01T12:00:00+00:00"


def test_markdown_tables_and_code_become_plain_text():
    text = markdown_to_text(
        "# Title\n\n| a | b `c` |\n|---|---|\n| 1 \\| 2 | **x** |\n\n"
        "```\nLogisticRegression()\n```\n"
    )
    assert text == ("Title\n=====\n\nA      B C\n1 | 2  x\n\n    LogisticRegression()\n")
