"""RateLimiter: a sliding window driven by a fake clock, so nothing really waits."""

from __future__ import annotations

import pytest
from fakegraph import FakeClock

from provlytics.graph.ratelimit import ON_DEMAND_LIMIT, REPORTS_LIMIT, RateLimiter


def make_limiter(clock: FakeClock, max_calls: int = 5, period: float = 10.0) -> RateLimiter:
    return RateLimiter(max_calls, period, clock=clock, sleep=clock.sleep)


def test_documented_limits_are_five_per_ten_seconds() -> None:
    # Graph's documented 5 per 10 s, plus slack for requests counted on arrival.
    assert REPORTS_LIMIT == (5, 10.25)
    assert ON_DEMAND_LIMIT == (5, 10.25)


def test_five_calls_pass_and_the_sixth_waits_for_the_window(clock: FakeClock) -> None:
    limiter = make_limiter(clock)
    waits = []
    for _ in range(5):
        waits.append(limiter.acquire())
        clock.now += 1.0
    assert waits == [0.0] * 5
    assert limiter.wait_time() == pytest.approx(5.0)
    assert limiter.acquire() == pytest.approx(5.0)
    assert clock.sleeps == [pytest.approx(5.0)]


def test_window_slides_rather_than_resetting(clock: FakeClock) -> None:
    limiter = make_limiter(clock, max_calls=2, period=10.0)
    limiter.acquire()
    clock.now += 6.0
    limiter.acquire()
    clock.now += 5.0  # the first call has left the window, the second has not
    assert limiter.acquire() == 0.0
    assert limiter.wait_time() == pytest.approx(5.0)  # until the second call leaves


def test_burst_of_eleven_takes_two_full_windows(clock: FakeClock) -> None:
    limiter = make_limiter(clock)
    start = clock.now
    total = sum(limiter.acquire() for _ in range(11))
    assert total == pytest.approx(20.0)
    assert clock.now - start == pytest.approx(20.0)


@pytest.mark.parametrize(("max_calls", "period"), [(0, 10.0), (5, 0.0), (5, -1.0)])
def test_rejects_nonsense_limits(max_calls: int, period: float) -> None:
    with pytest.raises(ValueError, match="max_calls"):
        RateLimiter(max_calls, period)


def test_repr_names_the_limit() -> None:
    assert repr(RateLimiter(5, 10.0)) == "RateLimiter(5, 10.0)"
