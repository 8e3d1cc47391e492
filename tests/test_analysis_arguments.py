"""What a user sees when a helper of `pv.analysis` is handed the wrong thing: a ConfigError
naming the argument, what it got and what it takes, never a silently empty table."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

import provlytics as pv
from provlytics.errors import ConfigError

A = pv.analysis
TAKES = "takes ProvisioningFrames or the path of a store/snapshot folder"


HELPERS: dict[str, Callable[[Any], Any]] = {
    "failure_summary": A.failure_summary,
    "error_codes": A.error_codes,
    "conflicts": A.conflicts,
    "recovery": A.recovery,
    "cycles": A.cycles,
    "job_health": A.job_health,
    "timeline": A.timeline,
    "alerts": A.alerts,
    "filter_frames": A.filter_frames,
    "drilldown": lambda f: A.drilldown(f, "EntryConflict"),
    "identity_history": lambda f: A.identity_history(f, "alice@contoso.com"),
}


@pytest.mark.parametrize("helper", sorted(HELPERS))
@pytest.mark.parametrize("table", ["events", "errors"])
def test_one_table_in_place_of_the_frames_is_refused(
    samples: pv.ProvisioningFrames, helper: str, table: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        HELPERS[helper](getattr(samples, table))
    assert str(caught.value) == (
        f"frames: got a DataFrame (pass the whole frames, not one of its tables); {TAKES}"
    )


@pytest.mark.parametrize("helper", sorted(HELPERS))
@pytest.mark.parametrize(("value", "got"), [({}, "a dict"), (None, "None"), (3, "an int")])
def test_other_objects_are_refused(helper: str, value: object, got: str) -> None:
    with pytest.raises(ConfigError) as caught:
        HELPERS[helper](value)
    assert str(caught.value) == f"frames: got {got}; {TAKES}"


@pytest.mark.parametrize("code", [None, 42, "", "   "])
def test_drilldown_wants_a_code_as_text(samples: pv.ProvisioningFrames, code: object) -> None:
    with pytest.raises(ConfigError) as caught:
        A.drilldown(samples, code)  # type: ignore[arg-type]
    assert str(caught.value) == (
        f"drilldown(error_code=...): got {code!r} ({type(code).__name__}); "
        "takes an error code as text, e.g. 'EntryConflict'"
    )


def test_drilldown_trims_the_code(samples: pv.ProvisioningFrames) -> None:
    rows = A.drilldown(samples, "  entryconflict \n")
    assert len(rows) == 58
    assert rows.equals(A.drilldown(samples, "EntryConflict"))


@pytest.mark.parametrize("helper", [A.timeline, A.success_rate])
@pytest.mark.parametrize("freq", ["0h", "-1h", "0min"])
def test_a_bin_width_that_is_not_positive_is_refused(samples, helper, freq):
    for data in (samples, pv.ProvisioningFrames()):  # checked before the data is looked at
        with pytest.raises(ConfigError) as caught:
            helper(data, freq=freq)
        assert str(caught.value) == (
            f"freq={freq!r} is not a positive bin width; use e.g. '1h', '15min' or '1d'"
        )


def test_an_unreadable_bin_width_is_refused(samples):
    with pytest.raises(ConfigError) as caught:
        A.timeline(samples, freq="often")
    assert str(caught.value).startswith(
        "freq='often' is not a fixed pandas frequency such as '1h', '15min' or '1d' ("
    )


@pytest.mark.parametrize("who", [None, 42, "", "   "])
def test_identity_history_wants_an_identity_as_text(samples, who: object) -> None:
    with pytest.raises(ConfigError) as caught:
        A.identity_history(samples, who)
    assert str(caught.value) == (
        f"identity_history(who=...): got {who!r} ({type(who).__name__}); takes an object id, "
        "display name or UPN as text, e.g. 'alice@contoso.com'"
    )


@pytest.mark.parametrize("n", ["5", -1, 2.5, True])
def test_slowest_wants_a_whole_number(samples, n: object) -> None:
    with pytest.raises(ConfigError) as caught:
        A.slowest(samples, n=n)
    assert str(caught.value) == (
        f"slowest(n=...): got {n!r} ({type(n).__name__}); takes a whole number >= 0, "
        "the number of events to show, e.g. n=20"
    )


def test_slowest_of_none_is_empty(samples) -> None:
    assert A.slowest(samples, n=0).empty
    assert len(A.slowest(samples, n=3)) == 3


@pytest.mark.parametrize(
    "helper", [lambda p: A.drilldown(p, "EntryConflict"), A.alerts, A.failure_summary]
)
def test_a_folder_of_log_files_says_to_load_them(tmp_path, helper) -> None:
    logs = tmp_path / "exports"
    logs.mkdir()
    (logs / "a.json").write_text('{"value": []}', encoding="utf-8")
    with pytest.raises(pv.InputError) as caught:
        helper(str(logs))
    assert str(caught.value) == (
        f"{logs}: not a provlytics dataset (no manifest.json) but it holds 1 log file: "
        f"read them with pv.load({str(logs)!r}), or write a dataset with pv.load_to_parquet"
    )
