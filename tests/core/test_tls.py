"""TLS and mutual TLS over real gRPC, with certificates made at test time.

One CA signs the server certificate (``localhost`` and ``127.0.0.1``) and a client certificate. A
second, unrelated CA and a client certificate it signed play the stranger: a client trusting only
that CA must not accept the server, and the server must not accept that client certificate.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime
import ipaddress
from pathlib import Path

import grpc
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from grpc_health.v1 import health_pb2, health_pb2_grpc

from slipway.core.server import SlipwayServer
from slipway.core.settings import ServiceSettings
from support.harness import auth, make_tokens, running_server, settings_for
from support.probe import PROBE_ROLES, method, probe_handler

CALL_TIMEOUT = 5.0


@dataclasses.dataclass(frozen=True)
class Issued:
    """A certificate with its private key, as PEM bytes and as files."""

    cert_pem: bytes
    key_pem: bytes
    cert_file: Path
    key_file: Path
    cert: x509.Certificate
    key: ec.EllipticCurvePrivateKey


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Slipway tests"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _issue(
    folder: Path,
    stem: str,
    common_name: str,
    *,
    issuer: Issued | None = None,
    sans: list[x509.GeneralName] | None = None,
    usage: x509.ObjectIdentifier | None = None,
) -> Issued:
    """A CA certificate (no ``issuer``: self-signed) or a leaf signed by ``issuer``."""
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    is_ca = issuer is None
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name))
        .issuer_name(issuer.cert.subject if issuer else _name(common_name))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=is_ca, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=not is_ca,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=is_ca,
                crl_sign=is_ca,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )
    if issuer is not None:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key()),
            critical=False,
        )
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
    if usage is not None:
        builder = builder.add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
    cert = builder.sign(issuer.key if issuer else key, hashes.SHA256())
    cert_pem = cert.public_bytes(serialization.Encoding.PEM)
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    cert_file, key_file = folder / f"{stem}.crt", folder / f"{stem}.key"
    cert_file.write_bytes(cert_pem)
    key_file.write_bytes(key_pem)
    key_file.chmod(0o600)
    return Issued(cert_pem, key_pem, cert_file, key_file, cert, key)


@dataclasses.dataclass(frozen=True)
class Pki:
    ca: Issued
    server: Issued
    client: Issued
    other_ca: Issued
    other_client: Issued


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    folder = tmp_path_factory.mktemp("pki")
    ca = _issue(folder, "ca", "Slipway Test CA")
    server = _issue(
        folder,
        "server",
        "localhost",
        issuer=ca,
        sans=[x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))],
        usage=ExtendedKeyUsageOID.SERVER_AUTH,
    )
    client = _issue(
        folder, "client", "trusted-client", issuer=ca, usage=ExtendedKeyUsageOID.CLIENT_AUTH
    )
    other_ca = _issue(folder, "other-ca", "Unrelated Test CA")
    other_client = _issue(
        folder, "other-client", "stranger", issuer=other_ca, usage=ExtendedKeyUsageOID.CLIENT_AUTH
    )
    return Pki(ca, server, client, other_ca, other_client)


@pytest.fixture
def tokens(tmp_path):
    return make_tokens(tmp_path / "tokens.json")


def tls_settings(tmp_path, pki: Pki, *, mutual: bool = False) -> ServiceSettings:
    extra = {"tls_client_ca_file": pki.ca.cert_file} if mutual else {}
    settings: ServiceSettings = settings_for(
        ServiceSettings,
        tmp_path,
        tokens_file=tmp_path / "tokens.json",
        tls_cert_file=pki.server.cert_file,
        tls_key_file=pki.server.key_file,
        **extra,
    )
    return settings


def probe_server(settings: ServiceSettings):
    return running_server(settings, [], extra_handlers=[probe_handler()], role_table=PROBE_ROLES)


async def echo(channel: grpc.aio.Channel, payload: bytes, token: str | None) -> bytes:
    metadata = auth(token) if token is not None else ()
    reply: bytes = await channel.unary_unary(method("Echo"))(
        payload, metadata=metadata, timeout=CALL_TIMEOUT
    )
    return reply


def secure_channel(
    address: str, trusted: Issued, *, client: Issued | None = None, name_override: bool = False
) -> grpc.aio.Channel:
    credentials = grpc.ssl_channel_credentials(
        root_certificates=trusted.cert_pem,
        private_key=client.key_pem if client else None,
        certificate_chain=client.cert_pem if client else None,
    )
    options = [("grpc.ssl_target_name_override", "localhost")] if name_override else []
    return grpc.aio.secure_channel(address, credentials, options=options)


async def expect_refused(channel: grpc.aio.Channel, token: str) -> grpc.aio.AioRpcError:
    """The call fails before it reaches the service: no TLS session could be set up."""
    async with channel:
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await echo(channel, b"must not arrive", token)
    assert caught.value.code() == grpc.StatusCode.UNAVAILABLE, caught.value
    return caught.value


# --- server-side TLS -----------------------------------------------------------------------------


@pytest.mark.parametrize("name_override", [False, True], ids=["ip-san", "dns-san"])
async def test_tls_client_trusting_the_ca_gets_answers(tmp_path, pki, tokens, name_override):
    async with (
        probe_server(tls_settings(tmp_path, pki)) as server,
        secure_channel(server.grpc_address, pki.ca, name_override=name_override) as channel,
    ):
        assert await echo(channel, b"over tls", tokens["viewer"]) == b"over tls"
        # TLS protects the channel; it does not replace the bearer token.
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await echo(channel, b"no token", None)
    assert caught.value.code() == grpc.StatusCode.UNAUTHENTICATED


async def test_tls_server_refuses_plaintext_clients(tmp_path, pki, tokens):
    async with probe_server(tls_settings(tmp_path, pki)) as server:
        await expect_refused(grpc.aio.insecure_channel(server.grpc_address), tokens["viewer"])


async def test_tls_client_rejects_a_server_signed_by_another_ca(tmp_path, pki, tokens):
    async with probe_server(tls_settings(tmp_path, pki)) as server:
        error = await expect_refused(
            secure_channel(server.grpc_address, pki.other_ca), tokens["viewer"]
        )
    # The client itself refused the server's certificate (not, say, a closed port).
    assert "CERTIFICATE_VERIFY_FAILED" in (error.details() or "")


async def test_tls_server_still_answers_after_refusing_clients(tmp_path, pki, tokens):
    """A failed handshake costs the server nothing: the next good client is served."""
    async with probe_server(tls_settings(tmp_path, pki)) as server:
        await expect_refused(grpc.aio.insecure_channel(server.grpc_address), tokens["viewer"])
        await expect_refused(secure_channel(server.grpc_address, pki.other_ca), tokens["viewer"])
        async with secure_channel(server.grpc_address, pki.ca) as channel:
            assert await echo(channel, b"still here", tokens["viewer"]) == b"still here"


async def test_a_plaintext_health_port_answers_health_checks_and_nothing_else(
    tmp_path, pki, tokens
):
    """The kubelet's native grpc probe speaks plaintext only: a TLS service (here with mutual
    TLS) can still be probed on its health port, which serves the same statuses and no other
    method, not even with a valid token."""
    settings = dataclasses.replace(
        tls_settings(tmp_path, pki, mutual=True), health_address="127.0.0.1:0"
    )
    server = SlipwayServer(settings, [], role_table=PROBE_ROLES, extra_handlers=[probe_handler()])
    await server.start()
    try:
        assert server.health_address
        assert server.health_address != server.grpc_address
        async with grpc.aio.insecure_channel(server.health_address) as plain:
            health = health_pb2_grpc.HealthStub(plain)

            async def status() -> int:
                reply = await health.Check(
                    health_pb2.HealthCheckRequest(service=""), timeout=CALL_TIMEOUT
                )
                return reply.status

            assert await status() == health_pb2.HealthCheckResponse.NOT_SERVING
            await server.set_serving()
            assert await status() == health_pb2.HealthCheckResponse.SERVING
            with pytest.raises(grpc.aio.AioRpcError) as caught:
                await echo(plain, b"not here", tokens["admin"])
            assert caught.value.code() == grpc.StatusCode.UNIMPLEMENTED
        # The main port still refuses plaintext.
        await expect_refused(grpc.aio.insecure_channel(server.grpc_address), tokens["viewer"])
        async with grpc.aio.insecure_channel(server.health_address) as plain:
            watch = health_pb2_grpc.HealthStub(plain).Watch(
                health_pb2.HealthCheckRequest(service=""), timeout=CALL_TIMEOUT
            )
            assert (await watch.read()).status == health_pb2.HealthCheckResponse.SERVING
            stopping = asyncio.ensure_future(server.stop(grace=0.5))
            # Shutdown shows on the health port before it closes.
            assert (await watch.read()).status == health_pb2.HealthCheckResponse.NOT_SERVING
            await stopping
    finally:
        await server.stop(grace=0.5)


# --- mutual TLS ----------------------------------------------------------------------------------


async def test_mutual_tls_accepts_a_client_certificate_signed_by_the_client_ca(
    tmp_path, pki, tokens
):
    async with (
        probe_server(tls_settings(tmp_path, pki, mutual=True)) as server,
        secure_channel(server.grpc_address, pki.ca, client=pki.client) as channel,
    ):
        assert await echo(channel, b"mutual", tokens["viewer"]) == b"mutual"


async def test_mutual_tls_refuses_a_client_without_a_certificate(tmp_path, pki, tokens):
    async with probe_server(tls_settings(tmp_path, pki, mutual=True)) as server:
        await expect_refused(secure_channel(server.grpc_address, pki.ca), tokens["viewer"])


async def test_mutual_tls_refuses_a_client_certificate_from_another_ca(tmp_path, pki, tokens):
    async with probe_server(tls_settings(tmp_path, pki, mutual=True)) as server:
        channel = secure_channel(server.grpc_address, pki.ca, client=pki.other_client)
        await expect_refused(channel, tokens["viewer"])


# --- settings ------------------------------------------------------------------------------------


def test_settings_refuse_a_certificate_without_its_key(tmp_path, pki):
    with pytest.raises(ValueError, match="tls_cert_file and tls_key_file"):
        settings_for(ServiceSettings, tmp_path, tls_cert_file=pki.server.cert_file)
    with pytest.raises(ValueError, match="tls_cert_file and tls_key_file"):
        settings_for(ServiceSettings, tmp_path, tls_key_file=pki.server.key_file)


def test_settings_refuse_a_client_ca_without_a_server_certificate(tmp_path, pki):
    with pytest.raises(ValueError, match="mutual TLS"):
        settings_for(ServiceSettings, tmp_path, tls_client_ca_file=pki.ca.cert_file)
