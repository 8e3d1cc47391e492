"""Benchmark: what the total deadline costs a request (the headers awaited in a thread).

    python -m bench.deadline [--requests 200] [--rounds 7]

A local HTTP server (standard library, keep-alive) answers each GET with a 2 kB JSON body.
Each round sends `requests` GETs one after another through one `requests.Session`, three ways,
interleaved: `send_within` (the headers read in a thread of its own, the body under the
deadline), the same exchange without the thread (`session.send` in the caller, then the body
under the deadline: the client before the header deadline), and plain `session.get`.
Reported: the median over rounds of the mean microseconds per request.
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import requests

from provlytics.graph.deadline import read_body, send_within

BODY = b'{"value": [], "padding": "' + b"x" * 2000 + b'"}'
SECONDS = 30.0


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    wbufsize = 64 * 1024  # headers and body in one send (flushed after each request)
    disable_nagle_algorithm = True

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(BODY)))
        self.end_headers()
        self.wfile.write(BODY)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""


def _threaded(session: requests.Session, prepared: requests.PreparedRequest) -> None:
    send_within(session, prepared, seconds=SECONDS, settings={})


def _in_caller(session: requests.Session, prepared: requests.PreparedRequest) -> None:
    response = session.send(prepared, timeout=SECONDS, allow_redirects=False, stream=True)
    response._content = read_body(response, time.monotonic() + SECONDS, seconds=SECONDS)
    response.raw.release_conn()


def _plain(session: requests.Session, prepared: requests.PreparedRequest) -> None:
    assert session.send(prepared, timeout=SECONDS).content == BODY


WAYS: dict[str, Callable[[requests.Session, requests.PreparedRequest], None]] = {
    "send_within (headers in a thread)": _threaded,
    "same, headers in the caller (before)": _in_caller,
    "plain session.send": _plain,
}


def measure(url: str, count: int, rounds: int) -> dict[str, list[float]]:
    """Mean microseconds per request of each way, one value per round (after a warm-up)."""
    times: dict[str, list[float]] = {name: [] for name in WAYS}
    with requests.Session() as session:
        prepared = requests.Request("GET", url).prepare()
        for way in WAYS.values():
            way(session, prepared)
        for _ in range(rounds):
            for name, way in WAYS.items():
                start = time.perf_counter()
                for _ in range(count):
                    way(session, prepared)
                times[name].append((time.perf_counter() - start) / count * 1e6)
    return times


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=200, help="GETs per way and round")
    parser.add_argument("--rounds", type=int, default=7, help="interleaved rounds (median)")
    args = parser.parse_args(argv)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/v1.0/auditLogs/provisioning"
        times = measure(url, args.requests, args.rounds)
    finally:
        server.shutdown()
    base = statistics.median(times["plain session.send"])
    print(f"{'way':<40}{'median us/request':>18}{'above plain':>13}")
    for name, values in times.items():
        median = statistics.median(values)
        print(f"{name:<40}{median:>18.0f}{median - base:>13.0f}")
    print(f"{args.rounds} rounds of {args.requests} GETs each, keep-alive, local server")


if __name__ == "__main__":
    main()
