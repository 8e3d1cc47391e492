"""`-vv` logs: urllib3 and msal DEBUG lines show neither skiptokens nor the device code."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from click.testing import CliRunner
from fakegraph import LOGIN_HOST, FakeClock, FakeGraph, FakeLogin, LocalLogin, make_records
from pytest_httpserver import HTTPServer

from provlytics.cli import main
from provlytics.graph import DeviceCode, GraphClient
from provlytics.redact import REDACTED, RedactingFilter, install_log_redaction

DEVICE_CODE, USER_CODE = "device-code-1", "ABCD-1234"


def client_lines(caplog: pytest.LogCaptureFixture) -> list[tuple[str, str]]:
    """(logger, message) of the client side: the werkzeug test server's own lines left out."""
    return [(r.name, r.getMessage()) for r in caplog.records if r.name != "werkzeug"]


@pytest.fixture
def signed_in_client(
    httpserver: HTTPServer, clock: FakeClock
) -> Iterator[tuple[GraphClient, list[str]]]:
    FakeLogin().install(httpserver)
    FakeGraph(make_records(5), page_size=2, tokens=("at-1",), clock=clock).install(httpserver)
    login = LocalLogin(httpserver.url_for("/"))
    prompts: list[str] = []
    credential = DeviceCode(
        "tenant-1", "client-1", authority_host=LOGIN_HOST, http_client=login, prompt=prompts.append
    )
    url = httpserver.url_for("/").rstrip("/")
    with GraphClient(credential, base_url=url, sleep=clock.sleep, clock=clock) as client:
        yield client, prompts
    login.close()


def test_debug_logs_hold_no_skiptoken_device_code_or_token(
    signed_in_client: tuple[GraphClient, list[str]], caplog: pytest.LogCaptureFixture
) -> None:
    client, prompts = signed_in_client
    caplog.set_level(logging.DEBUG)
    pages = list(client.iter_pages("auditLogs/provisioning"))
    assert len(pages) == 3
    lines = client_lines(caplog)
    text = "\n".join(message for _, message in lines)
    names = {name.split(".", 1)[0] for name, _ in lines}
    assert {"urllib3", "msal", "provlytics"} <= names  # all three really logged at DEBUG
    for secret in ("st-2", "st-4", DEVICE_CODE, USER_CODE, "at-1", "rt-1"):
        assert secret not in text, secret
    assert f"%24skiptoken={REDACTED}" in text  # urllib3's request line, redacted
    assert f'"device_code": "{REDACTED}"' in text  # msal's token event, redacted
    assert prompts == [
        "To sign in, open https://microsoft.com/devicelogin and enter ABCD-1234."
    ]  # the prompt callback alone gets the user code


def test_install_is_idempotent_and_covers_submodules() -> None:
    covered = install_log_redaction()
    assert {"urllib3", "urllib3.connectionpool", "msal", "msal.token_cache"} <= set(covered)
    for name in ("urllib3.connectionpool", "msal.token_cache"):
        filters = logging.getLogger(name).filters
        assert sum(isinstance(f, RedactingFilter) for f in filters) == 1


def test_the_cli_redacts_every_handler_for_loggers_created_later(
    caplog: pytest.LogCaptureFixture,
) -> None:
    root = logging.getLogger()
    before = {id(h): list(h.filters) for h in root.handlers}
    try:
        result = CliRunner().invoke(main, ["-vv", "load", "--help"])
        assert result.exit_code == 0
        assert all(any(isinstance(f, RedactingFilter) for f in h.filters) for h in root.handlers)
        caplog.set_level(logging.DEBUG)
        logging.getLogger("urllib3.created_later").debug("GET /x?$skiptoken=%s", "secret-cursor")
        assert "secret-cursor" not in caplog.text
        assert f"$skiptoken={REDACTED}" in caplog.text
    finally:
        for handler in root.handlers:
            handler.filters[:] = before.get(id(handler), [])
