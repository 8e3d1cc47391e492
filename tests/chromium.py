"""Headless Chromium driven over the DevTools protocol on a pipe (`--remote-debugging-pipe`).

No driver, no websocket library: Chromium reads NUL-terminated JSON commands on fd 3 and writes
responses and events on fd 4. Enough of the protocol to open a page, collect its console errors,
failed requests and network requests, evaluate JavaScript and take screenshots.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import select
import subprocess
import time
from pathlib import Path
from typing import Any

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--remote-debugging-pipe",
]


class ChromiumError(RuntimeError):
    """The browser answered a command with an error, or did not answer in time."""


class Chromium:
    """One headless browser with one page, attached over the pipe.

    Use as a context manager; `open(url)` loads a page and waits for its load event.
    Console errors, exceptions, log errors and requested URLs are gathered in `.errors`
    and `.requests`.
    """

    def __init__(self, profile: Path, *, binary: Path = CHROMIUM, timeout: float = 30.0) -> None:
        self.timeout = timeout
        self._profile = profile
        self.errors: list[str] = []
        self.requests: list[str] = []
        self._events: list[dict[str, Any]] = []
        self._next_id = 0
        self._buffer = b""
        self._proc, self._out, self._in = _spawn(binary, profile)
        self._session = self._attach()

    def __enter__(self) -> Chromium:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def open(self, url: str, *, width: int = 1200, height: int = 900, mobile: bool = False) -> None:
        """Navigate the page to `url` at this viewport size and wait for the load event.

        `errors` and `requests` are cleared first, so they hold what this page caused.
        """
        self.resize(width, height, mobile=mobile)
        self._events.clear()
        self.errors.clear()
        self.requests.clear()
        self.send("Page.navigate", {"url": url})
        self.wait_event("Page.loadEventFired")

    def resize(self, width: int, height: int, *, mobile: bool = False) -> None:
        """Emulate a viewport of width x height CSS pixels."""
        params = {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile}
        self.send("Emulation.setDeviceMetricsOverride", params)

    def evaluate(self, expression: str) -> Any:
        """The JSON value of a JavaScript expression evaluated in the page."""
        params = {"expression": expression, "returnByValue": True, "awaitPromise": True}
        result = self.send("Runtime.evaluate", params)
        if "exceptionDetails" in result:
            raise ChromiumError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def screenshot(self) -> bytes:
        """PNG of the viewport."""
        return base64.b64decode(self.send("Page.captureScreenshot", {"format": "png"})["data"])

    def send(self, method: str, params: dict | None = None, *, browser: bool = False) -> dict:
        """Send one command (to the page unless `browser`) and return its result."""
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if not browser:
            message["sessionId"] = self._session
        os.write(self._in, json.dumps(message).encode() + b"\0")
        reply = self._read_until(lambda m: m.get("id") == self._next_id)
        if "error" in reply:
            raise ChromiumError(f"{method}: {reply['error']}")
        return reply.get("result", {})

    def wait_event(self, method: str) -> dict:
        """Wait for (or find among those already received) the next event called `method`."""
        for index, event in enumerate(self._events):
            if event["method"] == method:
                return self._events.pop(index)
        return self._read_until(lambda m: m.get("method") == method)

    def close(self) -> None:
        """Close the browser (politely, then by force) and the pipe."""
        try:
            if self._proc.poll() is None:
                self.send("Browser.close", browser=True)
        except (ChromiumError, OSError):
            pass
        try:
            self._proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()
        os.close(self._in)
        os.close(self._out)

    def _attach(self) -> str:
        targets = self.send("Target.getTargets", browser=True)["targetInfos"]
        page = next(t for t in targets if t["type"] == "page")
        params = {"targetId": page["targetId"], "flatten": True}
        session = self.send("Target.attachToTarget", params, browser=True)["sessionId"]
        self._session = session
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.send(f"{domain}.enable")
        return session

    def _read_until(self, match: Any) -> dict:
        deadline = time.monotonic() + self.timeout
        while True:
            while b"\0" in self._buffer:
                raw, self._buffer = self._buffer.split(b"\0", 1)
                message = json.loads(raw)
                self._note(message)
                if match(message):
                    return message
                if "method" in message:
                    self._events.append(message)
            self._fill(deadline)

    def _fill(self, deadline: float) -> None:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([self._out], [], [], left)[0]:
            raise ChromiumError(f"no answer from Chromium within {self.timeout:.0f} s")
        chunk = os.read(self._out, 1 << 20)
        if not chunk:
            code = self._proc.poll()
            raise ChromiumError(f"Chromium exited (code {code}); see {self._profile}/chromium.log")
        self._buffer += chunk

    def _note(self, message: dict) -> None:
        method, params = message.get("method"), message.get("params", {})
        if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            texts = [str(a.get("value", a.get("description", ""))) for a in params["args"]]
            self.errors.append("console: " + " ".join(texts))
        elif method == "Runtime.exceptionThrown":
            self.errors.append("exception: " + json.dumps(params["exceptionDetails"])[:500])
        elif method == "Log.entryAdded" and params["entry"]["level"] == "error":
            self.errors.append("log: " + params["entry"]["text"])
        elif method == "Network.requestWillBeSent":
            self.requests.append(params["request"]["url"])
        elif method == "Network.loadingFailed":
            self.errors.append(f"request failed: {params.get('errorText')}")


def _spawn(binary: Path, profile: Path) -> tuple[subprocess.Popen, int, int]:
    """Start Chromium with its DevTools pipe on fds 3 (commands in) and 4 (messages out)."""
    commands_read, commands_write = os.pipe()
    messages_read, messages_write = os.pipe()

    def wire() -> None:
        # copy both above 9 first, so that neither is overwritten if it already is fd 3 or 4
        high = [fcntl.fcntl(fd, fcntl.F_DUPFD, 10) for fd in (commands_read, messages_write)]
        os.dup2(high[0], 3)
        os.dup2(high[1], 4)

    args = [str(binary), *FLAGS, f"--user-data-dir={profile}", "about:blank"]
    with open(profile / "chromium.log", "wb") as log:
        proc = subprocess.Popen(
            args,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            preexec_fn=wire,  # the pipe must sit on fds 3 and 4 of the browser
            close_fds=False,
        )
    os.close(commands_read)
    os.close(messages_write)
    return proc, messages_read, commands_write
