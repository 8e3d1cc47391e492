"""Token cache files: wrong shapes and unreadable files are ConfigErrors; open ones tightened."""

from __future__ import annotations

import json
import logging
import os
import stat
from pathlib import Path

import pytest
from fakegraph import LOGIN_HOST, FakeLogin, LocalLogin
from pytest_httpserver import HTTPServer

from provlytics.errors import ConfigError
from provlytics.graph import ClientSecret, DeviceCode
from provlytics.graph.token_cache import TokenCacheFile


@pytest.fixture
def login(httpserver: HTTPServer) -> FakeLogin:
    return FakeLogin().install(httpserver)


@pytest.fixture
def local_login(httpserver: HTTPServer):
    http = LocalLogin(httpserver.url_for("/"))
    yield http
    http.close()


def write(path: Path, data: object, mode: int = 0o600) -> Path:
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    os.chmod(path, mode)
    return path


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        ([], "expected a JSON object, got a list"),
        ("null", "expected a JSON object, got null"),
        ("42", "expected a JSON object, got a number"),
        ('"text"', "expected a JSON object, got a string"),
        ({"AccessToken": []}, "'AccessToken' should map keys to entries, got a list"),
        ({"IdToken": None}, "'IdToken' should map keys to entries, got null"),
        ({"RefreshToken": {"k": "v"}}, "'RefreshToken' entry 'k' is not an object"),
        ({"Account": {"k": None}}, "'Account' entry 'k' is not an object"),
    ],
)
def test_a_wrong_shape_is_a_config_error_before_any_request(
    login: FakeLogin, local_login: LocalLogin, httpserver: HTTPServer, tmp_path, data, problem
) -> None:
    path = write(tmp_path / "msal.json", data)
    with pytest.raises(ConfigError, match="is not an msal token cache") as caught:
        ClientSecret(
            "tenant-1", "client-1", "s3cret-value", authority_host=LOGIN_HOST,
            http_client=local_login, cache_path=path,
        )  # fmt: skip
    assert problem in str(caught.value)
    assert "PROVLYTICS_TOKEN_CACHE" in str(caught.value)
    assert httpserver.log == []


def test_an_unreadable_cache_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / "msal.json").mkdir()
    with pytest.raises(ConfigError, match=r"unreadable token cache .*msal\.json"):
        DeviceCode("tenant-1", "client-1", cache_path=tmp_path / "msal.json")


def test_invalid_utf8_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / "msal.json").write_bytes(b"\xff\xfe{}")
    with pytest.raises(ConfigError, match="unreadable token cache"):
        TokenCacheFile(tmp_path / "msal.json")


@pytest.mark.parametrize("mode", [0o644, 0o660, 0o606, 0o777])
def test_an_open_cache_is_tightened_with_a_warning(tmp_path: Path, caplog, mode: int) -> None:
    path = write(tmp_path / "msal.json", {"AccessToken": {}}, mode)
    with caplog.at_level(logging.WARNING, logger="provlytics.graph.token_cache"):
        TokenCacheFile(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert f"(mode {mode:o}); tightened to 0600" in caplog.text


def test_a_private_cache_is_left_alone_and_used(
    login: FakeLogin, local_login: LocalLogin, httpserver: HTTPServer, tmp_path, caplog
) -> None:
    path = tmp_path / "msal.json"
    options = {"authority_host": LOGIN_HOST, "http_client": local_login, "cache_path": path}
    assert ClientSecret("tenant-1", "client-1", "s3cret-value", **options).token() == "at-1"
    os.chmod(path, 0o400)
    with caplog.at_level(logging.WARNING):
        again = ClientSecret("tenant-1", "client-1", "s3cret-value", **options)
        assert again.token() == "at-1"  # from the cache file: no second token request
    assert stat.S_IMODE(path.stat().st_mode) == 0o400
    assert "tightened" not in caplog.text
    assert sum(r.path.endswith("/token") for r, _ in httpserver.log) == 1


def test_an_empty_file_is_an_empty_cache(tmp_path: Path) -> None:
    cache = TokenCacheFile(write(tmp_path / "msal.json", ""))
    assert not cache.save()
