"""TLS verification stays on whatever the caller's session says (a real HTTPS local server)."""

from __future__ import annotations

import ipaddress
import ssl
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from fakegraph import TOKEN, FakeClock, FakeGraph, make_records
from pytest_httpserver import HTTPServer

from provlytics.errors import GraphError
from provlytics.graph import GraphClient, StaticToken


@pytest.fixture(scope="module")
def server_cert(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for localhost/127.0.0.1 and its key (PEM files)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.now(UTC)
    names = [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=7))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("tls")
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@pytest.fixture
def https_graph(server_cert: tuple[Path, Path], clock: FakeClock) -> Iterator[HTTPServer]:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*server_cert)
    server = HTTPServer(host="localhost", port=0, ssl_context=context)
    FakeGraph(make_records(3), page_size=5, clock=clock).install(server)
    server.start()
    yield server
    server.clear()
    server.stop()


def https_client(server: HTTPServer, clock: FakeClock, **options: object) -> GraphClient:
    url = server.url_for("/").rstrip("/")
    assert url.startswith("https://localhost:")
    return GraphClient(StaticToken(TOKEN), base_url=url, sleep=clock.sleep, clock=clock, **options)


@pytest.fixture(autouse=True)
def no_ca_bundle_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)


def test_a_verify_false_session_still_verifies_and_is_not_retried(
    https_graph: HTTPServer, clock: FakeClock
) -> None:
    insecure = requests.Session()
    insecure.verify = False
    with (
        https_client(https_graph, clock, session=insecure) as client,
        pytest.raises(GraphError, match="TLS verification failed") as caught,
    ):
        client.get_json("auditLogs/provisioning")
    assert caught.value.code == "TLSVerificationFailed"
    assert "CERTIFICATE_VERIFY_FAILED" in str(caught.value)
    assert TOKEN not in str(caught.value)
    assert clock.sleeps == []  # no retry, no backoff
    assert https_graph.log == []  # the handshake failed: no request, no token
    insecure.close()


def test_requests_ca_bundle_is_honoured(
    https_graph: HTTPServer, clock: FakeClock, server_cert, monkeypatch
) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(server_cert[0]))
    insecure = requests.Session()
    insecure.verify = False
    with https_client(https_graph, clock, session=insecure) as client:
        body = client.get_json("auditLogs/provisioning")
    assert [r["id"] for r in body["value"]] == ["rec-0000", "rec-0001", "rec-0002"]
    [(request, _)] = https_graph.log
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    insecure.close()


def test_a_ca_bundle_path_on_the_callers_session_is_honoured(
    https_graph: HTTPServer, clock: FakeClock, server_cert
) -> None:
    session = requests.Session()
    session.verify = str(server_cert[0])
    with https_client(https_graph, clock, session=session) as client:
        assert len(client.get_json("auditLogs/provisioning")["value"]) == 3
    assert len(https_graph.log) == 1
    session.close()


def test_an_untrusted_certificate_fails_without_a_session(
    https_graph: HTTPServer, clock: FakeClock
) -> None:
    with https_client(https_graph, clock) as client, pytest.raises(GraphError, match="TLS"):
        client.get_json("auditLogs/provisioning")
    assert https_graph.log == []
    assert clock.sleeps == []
