"""Settings: flags over service-specific environment over shared environment over defaults."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

import pytest

from slipway.core.bootstrap import parse_settings
from slipway.core.settings import ServiceSettings
from slipway.services.registry.settings import RegistrySettings
from slipway.services.serving.settings import ServingSettings


def parse(cls, argv, environ):
    parser = argparse.ArgumentParser()
    cls.add_arguments(parser)
    return cls.from_sources(parser.parse_args(argv), environ)


def test_defaults_come_from_the_service_and_home(tmp_path):
    settings = parse(RegistrySettings, [], {"SLIPWAY_HOME": str(tmp_path)})
    assert settings.home == tmp_path
    assert settings.grpc_address == "127.0.0.1:7101"
    assert settings.metrics_address == "127.0.0.1:9101"
    assert settings.tokens_file == tmp_path / "tokens.json"
    assert settings.embedded_database
    assert settings.effective_database_url == f"sqlite:///{tmp_path / 'slipway.db'}"


def test_flag_beats_service_env_beats_shared_env(tmp_path):
    env = {
        "SLIPWAY_HOME": str(tmp_path),
        "SLIPWAY_GRPC_ADDRESS": "127.0.0.1:1",
        "SLIPWAY_REGISTRY_GRPC_ADDRESS": "127.0.0.1:2",
        "SLIPWAY_LOG_LEVEL": "debug",
        "SLIPWAY_INSECURE_NO_AUTH": "true",
        "SLIPWAY_MAX_RECEIVE_MESSAGE_BYTES": "2048",
    }
    from_env = parse(RegistrySettings, [], env)
    assert from_env.grpc_address == "127.0.0.1:2"
    assert from_env.log_level == "debug"
    assert from_env.insecure_no_auth is True
    assert from_env.max_receive_message_bytes == 2048
    from_flag = parse(
        RegistrySettings, ["--grpc-address", "127.0.0.1:3", "--no-insecure-no-auth"], env
    )
    assert from_flag.grpc_address == "127.0.0.1:3"
    assert from_flag.insecure_no_auth is False


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"SLIPWAY_MAX_RECEIVE_MESSAGE_BYTES": "lots"}, "max_receive_message_bytes"),
        ({"SLIPWAY_INSECURE_NO_AUTH": "maybe"}, "insecure_no_auth"),
        ({"SLIPWAY_LOG_FORMAT": "xml"}, "log_format"),
        (
            {
                "SLIPWAY_AUDIT_CHECKPOINT_FILE": "/tmp/cp.jsonl",
                "SLIPWAY_AUDIT_CHECKPOINT_S3_URL": "s3://bucket/cp",
                "SLIPWAY_AUDIT_CHECKPOINT_SIGNING_KEY_FILE": "/tmp/sign.pem",
            },
            "not both",
        ),
        ({"SLIPWAY_AUDIT_CHECKPOINT_S3_URL": "s3://bucket/cp"}, "must be set together"),
        (
            {
                "SLIPWAY_AUDIT_CHECKPOINT_S3_URL": "https://bucket/cp",
                "SLIPWAY_AUDIT_CHECKPOINT_SIGNING_KEY_FILE": "/tmp/sign.pem",
            },
            "s3://bucket/prefix",
        ),
        ({"SLIPWAY_AUDIT_CHECKPOINT_LOCK_MODE": "LEGAL_HOLD"}, "audit_checkpoint_lock_mode"),
        ({"SLIPWAY_AUDIT_CHECKPOINT_RETENTION_DAYS": "-1"}, "audit_checkpoint_retention_days"),
    ],
)
def test_bad_values_are_refused_with_the_setting_named(env, message):
    with pytest.raises(ValueError, match=message):
        parse(ServiceSettings, [], env)


def test_database_password_is_masked_in_the_description(tmp_path):
    settings = RegistrySettings(
        home=tmp_path, database_url="postgresql+psycopg://slipway:s3cret@127.0.0.1:5432/slipway"
    )
    described = settings.describe()
    assert "s3cret" not in described["database_url"]
    assert "slipway" in described["database_url"]


@pytest.mark.slow  # a fresh interpreter imports the whole command line
def test_help_lists_every_setting_with_its_environment_variable():
    result = subprocess.run(
        [sys.executable, "-m", "slipway.cli.main", "registry", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        cwd=Path(__file__).parents[2],
    )
    text = " ".join(result.stdout.split())
    for flag, env in [
        ("--grpc-address", "SLIPWAY_REGISTRY_GRPC_ADDRESS"),
        ("--database-url", "SLIPWAY_DATABASE_URL"),
        ("--insecure-no-auth", "SLIPWAY_INSECURE_NO_AUTH"),
        ("--tls-client-ca-file", "SLIPWAY_TLS_CLIENT_CA_FILE"),
        ("--metrics-address", "SLIPWAY_REGISTRY_METRICS_ADDRESS"),
    ]:
        assert flag in text
        assert env in text


@pytest.mark.parametrize(
    ("address", "allowed"),
    [
        ("127.0.0.1:7101", True),
        ("127.8.9.1:0", True),
        ("[::1]:7101", True),
        ("localhost:7101", True),
        ("unix:/tmp/slipway.sock", True),
        ("0.0.0.0:7101", False),
        ("[::]:7101", False),
        ("10.1.2.3:7101", False),
        ("slipway.example:7101", False),
        (":7101", False),
    ],
)
def test_auth_can_be_off_only_on_a_loopback_address(tmp_path, address, allowed):
    env = {
        "SLIPWAY_HOME": str(tmp_path),
        "SLIPWAY_INSECURE_NO_AUTH": "true",
        "SLIPWAY_GRPC_ADDRESS": address,
    }
    if allowed:
        assert parse(RegistrySettings, [], env).insecure_no_auth is True
    else:
        with pytest.raises(ValueError, match="insecure_no_auth is refused on"):
            parse(RegistrySettings, [], env)
    # With authentication on, every address is fine.
    assert parse(RegistrySettings, [], {**env, "SLIPWAY_INSECURE_NO_AUTH": "false"})


@pytest.mark.slow
def test_a_service_refuses_to_start_without_auth_on_every_interface(tmp_path):
    started = subprocess.run(
        [
            sys.executable,
            "-m",
            "slipway.cli.main",
            "registry",
            "--insecure-no-auth",
            "--grpc-address",
            "0.0.0.0:0",
            "--metrics-address",
            "127.0.0.1:0",
        ],
        env={
            **{k: v for k, v in os.environ.items() if not k.startswith("SLIPWAY_")},
            "SLIPWAY_HOME": str(tmp_path),
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert started.returncode != 0
    assert "insecure_no_auth is refused on 0.0.0.0:0" in started.stderr
    assert "Traceback" not in started.stderr


@pytest.mark.parametrize("value", ["1.5", "-0.1", "nan"])
def test_access_log_sample_rate_outside_zero_to_one_is_refused(value, capsys):
    with pytest.raises(SystemExit) as exited:
        parse_settings(ServingSettings, ["--access-log-sample-rate", value], "slipway serving")
    assert exited.value.code == 2
    assert "access_log_sample_rate must be between 0 and 1" in capsys.readouterr().err


def test_access_log_sample_rate_defaults_per_service(tmp_path):
    env = {"SLIPWAY_HOME": str(tmp_path)}
    assert parse(RegistrySettings, [], env).access_log_sample_rate == 1.0
    assert parse(ServingSettings, [], env).access_log_sample_rate == 0.01
    assert (
        parse(ServingSettings, ["--access-log-sample-rate", "0.25"], env).access_log_sample_rate
        == 0.25
    )
    shared = {**env, "SLIPWAY_ACCESS_LOG_SAMPLE_RATE": "0.5"}
    assert parse(ServingSettings, [], shared).access_log_sample_rate == 0.5
    with pytest.raises(ValueError, match="access_log_sample_rate: cannot read 'lots'"):
        parse(ServingSettings, ["--access-log-sample-rate", "lots"], env)
