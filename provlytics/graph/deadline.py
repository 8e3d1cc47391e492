"""One HTTP exchange under a total deadline: connecting, the headers and the whole body.

`requests`' `timeout=` bounds each socket operation, so a server that trickles a byte now and
then keeps a response alive for ever, in its headers as in its body. Here:

- the request is sent, and its status line and headers read, in a thread of its own
  (`_Exchange`), which the caller waits for until the deadline and then leaves: a server
  trickling its headers no longer holds the call. The exchange left behind ends when the
  server stops sending, or is silent for `timeout` seconds (requests' own bound on each
  receive); its response, if it ever comes, is closed at once. (urllib3 gives no hold on the
  socket of a connection before its headers are read, so it cannot be cut off from outside.)
- the body is read in the caller's thread, with `stream=True`, in pieces (`read1`: whatever
  one receive brings), with the socket's timeout set to the time left before each piece and
  the monotonic deadline checked after it.

The deadline runs on the real monotonic clock, never on an injected test clock: it is about
sockets, which only real time moves.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import requests
from urllib3.exceptions import DecodeError, ProtocolError, ReadTimeoutError

logger = logging.getLogger(__name__)

CHUNK_BYTES = 64 * 1024


class DeadlineExceeded(requests.Timeout):
    """The whole response did not arrive within the deadline (a `requests.Timeout`)."""


def send_within(
    session: requests.Session,
    prepared: requests.PreparedRequest,
    *,
    seconds: float,
    settings: dict[str, Any],
    clock: Callable[[], float] = time.monotonic,
) -> requests.Response:
    """Send `prepared` and read its whole body within `seconds`; never follows redirects.

    Args:
        settings: `proxies`, `verify` and `cert` for `session.send` (its `stream` is ignored).

    Raises:
        DeadlineExceeded: the headers or the body were not complete within `seconds`.
        requests.RequestException: connection, TLS and protocol errors, as `requests` raises.
    """
    deadline = clock() + seconds
    options = {key: value for key, value in settings.items() if key != "stream"}
    exchange = _Exchange(
        lambda: session.send(
            prepared, timeout=seconds, allow_redirects=False, stream=True, **options
        )
    )
    response = exchange.response(max(deadline - clock(), 0.0))
    if response is None:
        raise DeadlineExceeded(
            f"the response was not complete within the {seconds:g} s deadline (timeout=); "
            "its status line and headers had not arrived"
        )
    try:
        response._content = read_body(response, deadline, seconds=seconds, clock=clock)
    except BaseException:
        response.close()
        raise
    response._content_consumed = True
    response.raw.release_conn()
    return response


def read_body(
    response: requests.Response,
    deadline: float,
    *,
    seconds: float,
    clock: Callable[[], float] = time.monotonic,
) -> bytes:
    """The decoded body of a streamed response, read before `deadline` (a `clock` time).

    Raises:
        DeadlineExceeded: the deadline passed first.
        requests.ConnectionError, requests.exceptions.ChunkedEncodingError,
        requests.exceptions.ContentDecodingError: the body broke off or is not decodable.
    """
    raw = response.raw
    chunks: list[bytes] = []
    while True:
        left = deadline - clock()
        if left <= 0:
            raise _exceeded(seconds, sum(map(len, chunks)))
        _set_timeout(raw, left)
        try:
            chunk = raw.read1(CHUNK_BYTES, decode_content=True)
        except (ReadTimeoutError, TimeoutError) as exc:
            if deadline - clock() <= 0:
                raise _exceeded(seconds, sum(map(len, chunks))) from exc
            raise requests.ConnectionError(exc) from exc
        except ProtocolError as exc:
            raise requests.exceptions.ChunkedEncodingError(exc) from exc
        except DecodeError as exc:
            raise requests.exceptions.ContentDecodingError(exc) from exc
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def _set_timeout(raw: Any, seconds: float) -> None:
    """Bound the next receive on the response's socket (when urllib3 exposes it)."""
    sock = getattr(getattr(raw, "connection", None), "sock", None)
    if sock is not None:
        sock.settimeout(max(seconds, 0.001))


def _exceeded(seconds: float, received: int) -> DeadlineExceeded:
    return DeadlineExceeded(
        f"the response was not complete within the {seconds:g} s deadline (timeout=); "
        f"{received} bytes of the body had arrived"
    )


class _Exchange:
    """`send()` (a `session.send` that returns once the headers are read) run in a daemon
    thread, so that the caller can stop waiting for it.

    A response that arrives after the caller stopped waiting is closed by that thread."""

    def __init__(self, send: Callable[[], requests.Response]) -> None:
        self._send = send
        self._lock = threading.Lock()
        self._done = threading.Event()
        self._left = False
        self._response: requests.Response | None = None
        self._error: BaseException | None = None
        threading.Thread(target=self._run, name="provlytics-graph-send", daemon=True).start()

    def _run(self) -> None:
        try:
            response = self._send()
        except BaseException as exc:  # handed to the caller, who raises it
            self._error = exc
        else:
            with self._lock:
                if self._left:
                    logger.debug("closing a response whose headers came after the deadline")
                    response.close()
                    return
                self._response = response
        finally:
            self._done.set()

    def response(self, seconds: float) -> requests.Response | None:
        """The response once its headers are read, or None if that takes over `seconds`
        (the exchange is then left to end by itself).

        Raises:
            requests.RequestException: what `send` raised.
        """
        try:
            self._done.wait(seconds)
        finally:  # also when the wait is interrupted (Ctrl-C)
            with self._lock:
                self._left = self._response is None and self._error is None
        if self._left:
            return None
        if self._error is not None:
            raise self._error
        return self._response
