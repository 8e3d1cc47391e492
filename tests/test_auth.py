"""Credentials through real msal flows against a fake login server on localhost."""

from __future__ import annotations

import base64
import json
import logging
import os
import socket
import stat
from pathlib import Path

import pytest
from fakegraph import LOGIN_HOST, TOKEN, FakeClock, FakeGraph, FakeLogin, LocalLogin
from pytest_httpserver import HTTPServer

from provlytics.errors import AuthError, ConfigError
from provlytics.graph import Certificate, ClientSecret, DeviceCode, GraphClient, StaticToken
from provlytics.graph.auth import TokenCacheFile, credential_from_env

SECRET = "very-secret-client-secret"


@pytest.fixture
def login(httpserver: HTTPServer) -> FakeLogin:
    return FakeLogin().install(httpserver)


@pytest.fixture
def local_login(httpserver: HTTPServer) -> LocalLogin:
    http = LocalLogin(httpserver.url_for("/"))
    yield http
    http.close()


def secret_credential(local_login: LocalLogin, cache_path: Path | None = None) -> ClientSecret:
    return ClientSecret(
        "tenant-1",
        "client-1",
        SECRET,
        authority_host=LOGIN_HOST,
        http_client=local_login,
        cache_path=cache_path,
    )


def token_requests(httpserver: HTTPServer) -> list[dict[str, str]]:
    return [dict(r.form) for r, _ in httpserver.log if r.path.endswith("/oauth2/v2.0/token")]


def test_static_token_hands_out_its_token_and_cannot_refresh() -> None:
    credential = StaticToken(f"Bearer {TOKEN}")
    assert credential.token() == TOKEN
    with pytest.raises(AuthError, match="Graph Explorer") as caught:
        credential.token(force_refresh=True)
    assert caught.value.error == "static_token_rejected"
    assert TOKEN not in repr(credential) + str(caught.value)


@pytest.mark.parametrize("blank", ["", "   ", "Bearer "])
def test_static_token_must_not_be_blank(blank: str) -> None:
    with pytest.raises(ConfigError):
        StaticToken(blank)


def test_client_secret_gets_a_token_from_the_token_endpoint(
    login: FakeLogin, local_login: LocalLogin, httpserver: HTTPServer
) -> None:
    credential = secret_credential(local_login)
    assert credential.token() == "at-1"
    assert credential.token() == "at-1"  # from msal's cache, no second request
    [sent] = token_requests(httpserver)
    assert sent["client_id"] == "client-1"
    assert sent["grant_type"] == "client_credentials"
    assert sent["scope"] == "https://graph.microsoft.com/.default"
    assert sent["client_secret"] == SECRET  # it reached the token endpoint, and only there


def test_force_refresh_asks_the_token_endpoint_again(
    login: FakeLogin, local_login: LocalLogin, httpserver: HTTPServer
) -> None:
    credential = secret_credential(local_login)
    assert credential.token() == "at-1"
    assert credential.token(force_refresh=True) == "at-2"
    assert credential.token() == "at-2"
    assert len(token_requests(httpserver)) == 2


def test_secrets_stay_out_of_logs_and_reprs(
    login: FakeLogin, local_login: LocalLogin, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    credential = secret_credential(local_login)
    token = credential.token()
    assert repr(credential) == "ClientSecret(tenant_id='tenant-1', client_id='client-1')"
    ours = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("provlytics"))
    assert "client-1" in ours
    for secret in (SECRET, token):
        assert secret not in caplog.text  # msal's own debug lines included
        assert secret not in repr(credential)


def test_invalid_client_becomes_auth_error(
    login: FakeLogin, local_login: LocalLogin, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    login.error = "invalid_client"
    with pytest.raises(AuthError) as caught:
        secret_credential(local_login).token()
    error = caught.value
    assert error.error == "invalid_client"
    assert error.description.startswith("AADSTS7000215: Invalid client secret")
    assert error.correlation_id == "corr-0001"
    assert "corr-0001" in str(error)
    assert SECRET not in str(error) + caplog.text


def test_cache_file_is_private_and_rewritten_only_when_changed(
    login: FakeLogin, local_login: LocalLogin, tmp_path: Path, httpserver: HTTPServer
) -> None:
    cache_path = tmp_path / "cache" / "msal.json"
    credential = secret_credential(local_login, cache_path)
    credential.token()
    assert stat.S_IMODE(cache_path.stat().st_mode) == 0o600
    written = cache_path.stat().st_mtime_ns
    os.utime(cache_path, ns=(written - 10**9, written - 10**9))
    credential.token()  # served from the cache: nothing changed, nothing written
    assert cache_path.stat().st_mtime_ns == written - 10**9
    fresh = secret_credential(local_login, cache_path)
    assert fresh.token() == "at-1"  # read back from disk, no new token request
    assert len(token_requests(httpserver)) == 1
    assert list(cache_path.parent.iterdir()) == [cache_path]  # no temporary left behind


def test_cache_file_is_private_even_with_a_permissive_umask(tmp_path: Path) -> None:
    old = os.umask(0)
    try:
        cache = TokenCacheFile(tmp_path / "msal.json")
        cache.cache.has_state_changed = True
        assert cache.save()
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "msal.json").stat().st_mode) == 0o600
    assert not TokenCacheFile(tmp_path / "msal.json").save()  # unchanged since read


def test_certificate_signs_an_assertion_with_its_thumbprint(
    login: FakeLogin, local_login: LocalLogin, httpserver: HTTPServer, certificate_pem: Path
) -> None:
    credential = Certificate(
        "tenant-1",
        "client-1",
        certificate_path=certificate_pem,
        authority_host=LOGIN_HOST,
        http_client=local_login,
    )
    assert len(credential.thumbprint) == 40
    assert credential.token() == "at-1"
    [sent] = token_requests(httpserver)
    assert sent["client_assertion_type"].endswith("jwt-bearer")
    header = sent["client_assertion"].split(".")[0]
    claims = json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))
    thumbprint = base64.urlsafe_b64decode(claims["x5t"] + "=" * (-len(claims["x5t"]) % 4))
    assert thumbprint.hex().upper() == credential.thumbprint
    assert "BEGIN" not in repr(credential)


def test_certificate_file_problems_are_config_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        Certificate("t", "c", certificate_path=tmp_path / "missing.pem")
    (tmp_path / "cert-only.pem").write_text("-----BEGIN CERTIFICATE-----\n")
    with pytest.raises(ConfigError, match="no private key"):
        Certificate("t", "c", certificate_path=tmp_path / "cert-only.pem")


def test_device_code_prompts_once_then_uses_the_cache(
    login: FakeLogin, local_login: LocalLogin, tmp_path: Path, httpserver: HTTPServer
) -> None:
    prompts: list[str] = []
    options = {
        "authority_host": LOGIN_HOST,
        "http_client": local_login,
        "cache_path": tmp_path / "msal.json",
        "prompt": prompts.append,
    }
    assert DeviceCode("tenant-1", "client-1", **options).token() == "at-1"
    assert prompts == [login._device_flow()["message"]]
    again = DeviceCode("tenant-1", "client-1", **options)
    assert again.token() == "at-1"  # silently, from the cache on disk
    assert again.token(force_refresh=True) == "at-2"  # through the refresh token
    assert len(prompts) == 1
    grants = [sent["grant_type"] for sent in token_requests(httpserver)]
    assert grants == ["urn:ietf:params:oauth:grant-type:device_code", "refresh_token"]


def test_device_code_prompt_defaults_to_a_log_warning(
    login: FakeLogin, local_login: LocalLogin, caplog: pytest.LogCaptureFixture
) -> None:
    credential = DeviceCode(
        "tenant-1", "client-1", authority_host=LOGIN_HOST, http_client=local_login
    )
    credential.token()
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert [r.getMessage() for r in warnings] == [login._device_flow()["message"]]


def test_client_secret_end_to_end_with_graph(
    login: FakeLogin, local_login: LocalLogin, httpserver: HTTPServer, clock: FakeClock
) -> None:
    graph = FakeGraph([{"id": "a"}], tokens=["at-2"], clock=clock).install(httpserver)
    credential = secret_credential(local_login)
    base_url = httpserver.url_for("/").rstrip("/")
    client = GraphClient(credential, base_url=base_url, sleep=clock.sleep, clock=clock)
    [page] = client.iter_pages("auditLogs/provisioning")
    assert page.records == [{"id": "a"}]
    assert graph.calls == 2  # at-1 was refused, refreshed once to at-2
    seen = [(r.path, r.headers.get("Authorization")) for r, _ in httpserver.log]
    graph_auth = [auth for path, auth in seen if path.startswith("/v1.0/")]
    login_auth = [auth for path, auth in seen if not path.startswith("/v1.0/")]
    assert graph_auth == ["Bearer at-1", "Bearer at-2"]
    assert login_auth and not any(login_auth)  # the bearer token never went to the login host


def test_credential_from_env_prefers_the_static_token() -> None:
    env = {"PROVLYTICS_TOKEN": TOKEN, "AZURE_TENANT_ID": "t", "AZURE_CLIENT_ID": "c"}
    assert isinstance(credential_from_env(env), StaticToken)


def test_missing_ids_are_config_errors() -> None:
    with pytest.raises(ConfigError, match="tenant id and a client id"):
        ClientSecret("", "c", SECRET)
    with pytest.raises(ConfigError, match="client secret"):
        ClientSecret("t", "c", "")


def test_unreachable_login_host_is_an_auth_error() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    dead = LocalLogin(f"http://127.0.0.1:{port}")  # nothing listens there any more
    credential = ClientSecret(
        "tenant-1", "client-1", SECRET, authority_host=LOGIN_HOST, http_client=dead
    )
    with pytest.raises(AuthError, match="login_unreachable") as caught:
        credential.token()
    assert SECRET not in str(caught.value)
    dead.close()


def test_corrupt_cache_file_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / "msal.json").write_text("{not json")
    with pytest.raises(ConfigError, match="unreadable token cache"):
        TokenCacheFile(tmp_path / "msal.json")
