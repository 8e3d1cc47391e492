"""`timeout=` is the deadline of the whole exchange: a trickling or stalled body ends there."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest
from fakegraph import TOKEN, FakeClock

from provlytics.errors import ConfigError, GraphError
from provlytics.graph import GraphClient, StaticToken

BODY = b'{"value": [], "padding": "' + b"x" * 200 + b'"}'


class TricklingServer:
    """A raw socket server: prompt headers, then the body one byte every `interval` seconds
    (with `headers`, the status line and headers one byte at a time, then the body at once)."""

    def __init__(self, interval: float, *, stall: bool = False, headers: bool = False) -> None:
        self.interval, self.stall, self.headers = interval, stall, headers
        self.requests: list[bytes] = []
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.2)
        self.port = self.listener.getsockname()[1]
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        while not self.stopped.is_set():
            try:
                conn, _ = self.listener.accept()
            except TimeoutError:
                continue
            with conn:
                self._answer(conn)

    def _answer(self, conn: socket.socket) -> None:
        self.requests.append(conn.recv(65536))
        head = f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len(BODY)}"
        head_bytes = head.encode() + b"\r\n\r\n"
        try:
            if self.headers:
                if self._trickle(conn, head_bytes):
                    conn.sendall(BODY)
            else:
                conn.sendall(head_bytes)
                self._trickle(conn, BODY)
        except OSError:
            return  # the client hung up: that is the point

    def _trickle(self, conn: socket.socket, data: bytes) -> bool:
        """Send `data` a byte at a time; False if the server was stopped first."""
        for byte in data:
            if self.stopped.wait(self.interval if not self.stall else 5.0):
                return False
            conn.sendall(bytes([byte]))
        return True

    def __enter__(self) -> TricklingServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopped.set()
        self.thread.join(5)
        self.listener.close()


@pytest.fixture
def trickle() -> Iterator[TricklingServer]:
    with TricklingServer(0.2) as server:
        yield server


def make_client(port: int, clock: FakeClock, **options: object) -> GraphClient:
    url = f"http://127.0.0.1:{port}"
    return GraphClient(StaticToken(TOKEN), base_url=url, sleep=clock.sleep, clock=clock, **options)


def test_a_trickling_body_ends_at_the_deadline(trickle: TricklingServer, clock: FakeClock) -> None:
    started = time.monotonic()
    with (
        make_client(trickle.port, clock, timeout=1.0, max_attempts=1) as client,
        pytest.raises(GraphError, match=r"not complete within the 1 s deadline") as caught,
    ):
        client.get_json("auditLogs/provisioning")
    elapsed = time.monotonic() - started
    assert 0.9 <= elapsed < 3.0  # the deadline, not 46 s of trickle
    assert caught.value.code == "DeadlineExceeded"
    assert TOKEN not in str(caught.value)
    assert len(trickle.requests) == 1
    assert trickle.requests[0].startswith(b"GET /v1.0/auditLogs/provisioning HTTP/1.1")


def test_trickling_headers_end_at_the_deadline(clock: FakeClock) -> None:
    # 80 bytes of status line and headers, one every 0.2 s: 16 s without a total deadline
    started = time.monotonic()
    with TricklingServer(0.2, headers=True) as server:
        with (
            make_client(server.port, clock, timeout=1.0, max_attempts=1) as client,
            pytest.raises(GraphError) as caught,
        ):
            client.get_json("auditLogs/provisioning")
        elapsed = time.monotonic() - started
    assert str(caught.value) == (
        "HTTP 0 DeadlineExceeded: the response was not complete within the 1 s deadline "
        "(timeout=); its status line and headers had not arrived; no response after 1 "
        f"attempt(s) [http://127.0.0.1:{server.port}/v1.0/auditLogs/provisioning]"
    )
    assert 0.9 <= elapsed < 2.0
    assert TOKEN not in repr(caught.value) and TOKEN not in str(caught.value.__cause__)
    assert len(server.requests) == 1
    # the exchange left behind ends once the server stops sending (closed with it)
    for thread in threading.enumerate():
        if thread.name == "provlytics-graph-send":
            thread.join(5)
            assert not thread.is_alive()


def test_headers_trickling_within_the_deadline_are_read(clock: FakeClock) -> None:
    with (
        TricklingServer(0.001, headers=True) as server,
        make_client(server.port, clock, timeout=5) as client,
    ):
        body = client.get_json("auditLogs/provisioning")
    assert body["value"] == [] and len(body["padding"]) == 200


def test_a_deadline_is_retried_like_a_timeout_for_get(
    trickle: TricklingServer, clock: FakeClock
) -> None:
    with (
        make_client(trickle.port, clock, timeout=0.5, max_attempts=2) as client,
        pytest.raises(GraphError, match=r"deadline.*after 2 attempt"),
    ):
        client.get_json("auditLogs/provisioning")
    assert len(trickle.requests) == 2
    assert len(clock.sleeps) == 1  # one backoff, on the fake clock


def test_a_stalled_body_ends_at_the_deadline(clock: FakeClock) -> None:
    started = time.monotonic()
    with (
        TricklingServer(0.0, stall=True) as server,
        make_client(server.port, clock, timeout=0.6, max_attempts=1) as client,
        pytest.raises(GraphError, match=r"0\.6 s deadline"),
    ):
        client.get_json("auditLogs/provisioning")
    assert time.monotonic() - started < 1.5
    assert len(server.requests) == 1


def test_a_fast_trickle_within_the_deadline_is_read_whole(clock: FakeClock) -> None:
    with TricklingServer(0.001) as server, make_client(server.port, clock, timeout=5) as client:
        body = client.get_json("auditLogs/provisioning")
    assert body["value"] == [] and len(body["padding"]) == 200


@pytest.mark.parametrize("timeout", [0, -1.0])
def test_the_deadline_must_be_positive(timeout: float) -> None:
    with pytest.raises(ConfigError, match="timeout must be"):
        GraphClient(StaticToken(TOKEN), timeout=timeout)
