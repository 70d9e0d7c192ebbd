"""slipway.core.health_probe: the container probe against a real server, plaintext and TLS."""

from __future__ import annotations

import asyncio
import datetime
import ipaddress
import socket
import subprocess
import sys

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from slipway.core import health_probe
from slipway.core.settings import ServiceSettings
from support.harness import make_tokens, running_server, settings_for


async def probe(*argv):
    """Run the probe's command line off the event loop the server runs on."""
    return await asyncio.to_thread(health_probe.main, list(argv))


@pytest.fixture
def settings(tmp_path):
    make_tokens(tmp_path / "tokens.json")
    return settings_for(ServiceSettings, tmp_path, tokens_file=tmp_path / "tokens.json")


async def test_serving_exits_zero_and_not_serving_exits_one(settings, capsys):
    async with running_server(settings, [], serving=False) as server:
        assert await probe(server.grpc_address) == 1
        assert "NOT_SERVING" in capsys.readouterr().err
        await server.set_serving()
        assert await probe(server.grpc_address) == 0
        assert await probe(server.grpc_address, "--service", "no.such.Service") == 1
        assert "NOT_FOUND" in capsys.readouterr().err


def test_nothing_listening_exits_one_quickly(capsys):
    with socket.socket() as sock:  # a port that was free a moment ago and is closed now
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    assert health_probe.main([f"127.0.0.1:{port}", "--timeout", "2"]) == 1
    assert "UNAVAILABLE" in capsys.readouterr().err


def test_runs_as_a_module():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    done = subprocess.run(
        [sys.executable, "-m", "slipway.core.health_probe", f"127.0.0.1:{port}", "--timeout", "2"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1, done.stderr
    assert f"127.0.0.1:{port} (server): no answer (UNAVAILABLE" in done.stderr


def _certificate(name, key, issuer_name, issuer_key, *, ca, sans=()):
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName(list(sans)), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


def _pem(path, data):
    path.write_bytes(data)
    return path


async def test_tls_server_checked_by_service_name(settings, tmp_path, capsys):
    """As in a pod: the probe dials 127.0.0.1 and checks the certificate's Service name."""
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "probe test CA")])
    ca = _certificate("probe test CA", ca_key, ca_name, ca_key, ca=True)
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = _certificate(
        "slipway-registry", key, ca_name, ca_key, ca=False, sans=[x509.DNSName("slipway-registry")]
    )
    ca_file = _pem(tmp_path / "ca.crt", ca.public_bytes(serialization.Encoding.PEM))
    cert_file = _pem(tmp_path / "tls.crt", leaf.public_bytes(serialization.Encoding.PEM))
    key_file = _pem(
        tmp_path / "tls.key",
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
    )
    tls_settings = settings_for(
        ServiceSettings,
        tmp_path,
        tokens_file=settings.tokens_file,
        tls_cert_file=cert_file,
        tls_key_file=key_file,
    )
    async with running_server(tls_settings, []) as server:
        address = server.grpc_address
        assert (
            await probe(address, "--tls-ca-file", str(ca_file), "--server-name", "slipway-registry")
            == 0
        )
        # The certificate does not name 127.0.0.1, and plaintext is refused.
        assert await probe(address, "--tls-ca-file", str(ca_file), "--timeout", "2") == 1
        assert await probe(address, "--timeout", "2") == 1
        assert ipaddress.ip_address(address.rpartition(":")[0]).is_loopback
    assert "no answer" in capsys.readouterr().err


def test_flags_that_need_each_other():
    with pytest.raises(SystemExit):
        health_probe.main(["127.0.0.1:1", "--tls-cert-file", "c.pem"])
    with pytest.raises(SystemExit):
        health_probe.main(["127.0.0.1:1", "--server-name", "x"])
