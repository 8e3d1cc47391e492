"""Client-side rate limiting: stay under Graph's limits instead of collecting 429s.

The identity-and-access reports API (which serves `/auditLogs/provisioning`) allows 5 requests per
10 seconds per app per tenant, and `provisionOnDemand` allows 5 per 10 seconds.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable

logger = logging.getLogger(__name__)

# Graph counts a request when it arrives, the limiter when it is sent: a slow request then a
# quick one could land inside Graph's window. This much slack per window keeps us clear of it
# (measured in bench/fetch.py: without it a fetch drew 2-4 429s, with it none).
ARRIVAL_MARGIN = 0.25
REPORTS_LIMIT: tuple[int, float] = (5, 10.0 + ARRIVAL_MARGIN)
ON_DEMAND_LIMIT: tuple[int, float] = (5, 10.0 + ARRIVAL_MARGIN)


class RateLimiter:
    """A sliding-window limiter: at most `max_calls` calls in any `period` seconds.

    Example:
        >>> limiter = RateLimiter(5, 10.0)
        >>> limiter.acquire()  # returns at once for the first five calls
        0.0
    """

    def __init__(
        self,
        max_calls: int,
        period: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if max_calls < 1 or period <= 0:
            raise ValueError(f"need max_calls >= 1 and period > 0, got {max_calls}, {period}")
        self.max_calls = max_calls
        self.period = float(period)
        self._clock = clock
        self._sleep = sleep
        self._calls: deque[float] = deque()
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"RateLimiter({self.max_calls}, {self.period})"

    def wait_time(self) -> float:
        """Seconds the next `acquire()` would wait now (0.0 when a call is allowed at once)."""
        with self._lock:
            return self._wait_time(self._clock())

    def acquire(self) -> float:
        """Block until a call is allowed, record it, and return the seconds waited."""
        waited = 0.0
        with self._lock:
            while True:
                delay = self._wait_time(self._clock())
                if delay <= 0:
                    break
                logger.debug("rate limit: waiting %.3f s", delay)
                self._sleep(delay)
                waited += delay
            self._calls.append(self._clock())
        return waited

    def _wait_time(self, now: float) -> float:
        """Forget calls older than the window; return how long until a slot frees up."""
        while self._calls and self._calls[0] <= now - self.period:
            self._calls.popleft()
        if len(self._calls) < self.max_calls:
            return 0.0
        return self._calls[0] + self.period - now
