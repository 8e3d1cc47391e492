"""Shared fixtures. Graph tests: `clock`, `graph` (FakeGraph on pytest-httpserver), `graph_url`,
`client`, `certificate_pem`; command-line tests: `runner`; the frames of `data/samples/`:
`samples` (loaded once, read only)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from fakegraph import TOKEN, FakeClock, FakeGraph, make_records
from pytest_httpserver import HTTPServer
from reportdata import SAMPLES

import provlytics as pv
from provlytics.graph import GraphClient, StaticToken
from provlytics.schema import TABLE_NAMES


@pytest.fixture
def runner() -> CliRunner:
    """click's runner of the command line, in this process."""
    return CliRunner()


@pytest.fixture(scope="session")
def samples() -> Iterator[pv.ProvisioningFrames]:
    """`pv.load("data/samples/")`, loaded once for every test that reads it. Read only: a
    test that changes frames copies them first (checked when the session ends)."""
    frames = pv.load(SAMPLES, progress=False)
    yield frames
    fresh = pv.ProvisioningFrames({name: frames.table(name) for name in TABLE_NAMES})
    for name in TABLE_NAMES:  # the DataFrames handed out are cached: none was changed
        pd.testing.assert_frame_equal(getattr(frames, name), getattr(fresh, name), obj=name)
    assert frames.narrowed is None and frames.pseudonymized is None


@pytest.fixture
def clock() -> FakeClock:
    """A fake monotonic clock; pass `clock.sleep` wherever code would wait."""
    return FakeClock()


@pytest.fixture
def graph(httpserver: HTTPServer, clock: FakeClock) -> Iterator[FakeGraph]:
    """A FakeGraph serving 5 provisioning records, 2 per page, on the local test server."""
    fake = FakeGraph(make_records(5), page_size=2, clock=clock).install(httpserver)
    yield fake
    httpserver.check_assertions()
    httpserver.check_handler_errors()


@pytest.fixture
def graph_url(httpserver: HTTPServer) -> str:
    """The local server's root, usable as a GraphClient base_url."""
    return httpserver.url_for("/").rstrip("/")


@pytest.fixture
def client(graph: FakeGraph, graph_url: str, clock: FakeClock) -> Iterator[GraphClient]:
    """A GraphClient on the fake Graph with a static token and the fake clock."""
    with GraphClient(
        StaticToken(TOKEN), base_url=graph_url, sleep=clock.sleep, clock=clock
    ) as graph_client:
        yield graph_client


@pytest.fixture(scope="session")
def certificate_pem(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A PEM file holding a fresh self-signed certificate and its unencrypted RSA key."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "provlytics-test")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    path = tmp_path_factory.mktemp("cert") / "app.pem"
    path.write_bytes(key_pem + certificate.public_bytes(serialization.Encoding.PEM))
    return path
