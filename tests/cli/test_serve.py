"""`slipway serve add|remove|list`, and what a person sees after `slipway up`: a model is
served once its `production` alias is set, with no restart and no load of its own."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from slipway import client
from slipway.cli.main import main
from slipway.cli.serve import serving_name
from slipway.training.v1 import training_job_pb2
from support.suite import start_suite, stop_suite, wait_for_suite
from support.training import bundled, job
from support.waiting import wait_until_sync

WAIT_SECONDS = 60


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("iris", "iris@production"),
        ("models/iris", "iris@production"),
        ("iris@challenger", "iris@challenger"),
        ("iris:3", "iris@3"),
        ("models/iris/versions/3", "iris@3"),
    ],
)
def test_serve_names_follow_the_command_lines_version_names(text: str, name: str) -> None:
    assert serving_name(text) == name


@pytest.fixture(scope="module")
def suite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    home = tmp_path_factory.mktemp("serve") / "home"
    process = start_suite(home)
    try:
        info = wait_for_suite(process, home)
        info["token"] = Path(info["token_file"]).read_text().strip()
        info["home_path"] = home
        yield info
    finally:
        stop_suite(process)


@pytest.fixture(autouse=True)
def env(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for key in list(os.environ):
        if key.startswith("SLIPWAY_"):
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)
    if "suite" in request.fixturenames:
        monkeypatch.setenv("SLIPWAY_HOME", str(request.getfixturevalue("suite")["home_path"]))


def run(capsys: pytest.CaptureFixture[str], *argv: object) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out, err


def listed(capsys: pytest.CaptureFixture[str]) -> list[dict[str, str]]:
    code, out, err = run(capsys, "serve", "list", "--json")
    assert code == 0, err
    found: list[dict[str, str]] = json.loads(out)
    return found


@pytest.mark.slow  # a whole suite, and a training job
def test_up_then_train_and_promote_serves_the_model_and_serve_changes_it(
    suite: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "serve", "list")
    assert (code, out.strip()) == (0, "nothing is served")
    targets = {name: info["grpc_address"] for name, info in suite["services"].items()}
    with client.connect(targets, token=suite["token"]) as connection:
        for _ in range(2):
            created = connection.training.create(job("models/flowers", dataset=bundled("iris")))
            done = connection.training.wait(created.name, WAIT_SECONDS)
            assert done.state == training_job_pb2.TRAINING_JOB_STATE_SUCCEEDED, done.failure
    code, _, err = run(
        capsys, "aliases", "set", "flowers", "production", 1, "--reason", "first flowers"
    )
    assert code == 0, err

    def served() -> list[dict[str, str]]:
        return [m for m in listed(capsys) if m.get("state") == "READY"]

    [model] = wait_until_sync(served, "serving to follow flowers@production", WAIT_SECONDS)
    assert (model["name"], model["version"]) == ("flowers@production", "1")
    code, out, _ = run(capsys, "serve", "list")
    assert out.splitlines()[0].split() == ["SERVED", "VERSION", "STATE", "NOTE"]
    assert out.splitlines()[1].split()[:3] == ["flowers@production", "1", "READY"]

    code, out, err = run(capsys, "serve", "add", "flowers:2", "--reason", "try version 2")
    assert (code, out.strip()) == (0, "serving flowers@2: models/flowers/versions/2"), err
    assert [(m["name"], m["version"]) for m in listed(capsys)] == [("flowers@2", "2")]

    code, out, err = run(capsys, "serve", "remove", "flowers", "--reason", "done trying")
    assert (code, out.strip()) == (0, "no longer serving flowers"), err
    code, out, _ = run(capsys, "serve", "list")
    assert out.strip() == "nothing is served"

    code, _, err = run(capsys, "serve", "remove", "ghost")
    assert code == 3
    assert "NOT_FOUND (MODEL_NOT_FOUND)" in err
    code, _, err = run(capsys, "serve", "add", "flowers@nope")
    assert code == 3
    assert "MODEL_LOAD_FAILED" in err

    code, out, _ = run(
        capsys,
        "audit",
        "list",
        "--json",
        "--service",
        "serving",
        "--outcome",
        "ok",
        "--oldest-first",
    )
    assert code == 0
    events = [json.loads(line) for line in out.splitlines() if line.strip()]
    changes = [
        (e["action"], e.get("reason", ""))
        for e in events
        if e["action"].startswith("serving.RepositoryModel")
    ]
    assert changes[-2:] == [
        ("serving.RepositoryModelLoad", "try version 2"),
        ("serving.RepositoryModelUnload", "done trying"),
    ]
