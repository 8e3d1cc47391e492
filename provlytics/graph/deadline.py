"""One HTTP exchange under a total deadline: connecting, the headers and the whole body.

`requests`' `timeout=` bounds each socket operation, so a server that trickles a byte now and
then keeps a response alive for ever. Here the request is sent with `stream=True` and the body
read in pieces (`read1`: whatever one receive brings), with the socket's timeout set to the time
left before each piece and the monotonic deadline checked after it. Connecting and reading the
headers are bounded by the time left when the request is sent (urllib3 sets that timeout once,
before the status line is read).

The deadline runs on the real monotonic clock, never on an injected test clock: it is about
sockets, which only real time moves.
"""

from __future__ import annotations

import logging
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
        DeadlineExceeded: the body was not complete within `seconds`.
        requests.RequestException: connection, TLS and protocol errors, as `requests` raises.
    """
    deadline = clock() + seconds
    options = {key: value for key, value in settings.items() if key != "stream"}
    response = session.send(
        prepared, timeout=seconds, allow_redirects=False, stream=True, **options
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
