"""A service process refuses a database whose schema is behind its code, naming the fix."""

from __future__ import annotations

import subprocess
import sys

import pytest


@pytest.mark.postgres
@pytest.mark.parametrize("service", ["registry", "training", "serving", "monitoring"])
def test_service_refuses_an_unmigrated_database(service, tmp_path, postgres_cluster):
    url = postgres_cluster.url(postgres_cluster.create_database())
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "slipway.cli.main",
            service,
            "--database-url",
            url,
            "--home",
            str(tmp_path),
            "--grpc-address",
            "127.0.0.1:0",
            "--metrics-address",
            "127.0.0.1:0",
            "--insecure-no-auth",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 3, result.stderr
    assert "slipway db upgrade" in result.stderr
    assert "Traceback" not in result.stderr
