"""Charts: what a user sees (bar sizes, labels, legend, titles), on hand-built helper results."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure
from reportdata import SAMPLES

import provlytics as pv
from provlytics import analysis, plots
from provlytics.errors import ConfigError
from provlytics.plots_funnel import FUNNEL_STATUSES, FUNNEL_TOP

UTC = "UTC"
BAD_RESPONSE = "SystemForCrossDomainIdentityManagementBadResponse"


def _times(*stamps: str) -> pd.Series:
    return pd.Series(pd.to_datetime(list(stamps), utc=True))


@pytest.fixture
def timeline_df() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "time": _times(*["2026-11-18 09:00"] * 2, *["2026-11-18 10:00"] * 2),
            "error_code": ["EntryConflict", BAD_RESPONSE] * 2,
            "events": pd.array([3, 1, 0, 5], dtype="int64"),
        }
    )


@pytest.fixture
def summary_df() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "error_code": ["EntryConflict", "<script>x</script>", "AzureActiveDirectoryQuota"],
            "events": pd.array([7, 4, 1], dtype="int64"),
            "identities": pd.array([5, 4, 1], dtype="int64"),
            "share": [0.07, 0.04, 0.01],
            "first_seen": _times("2026-11-18", "2026-11-18", "2026-11-19"),
            "last_seen": _times("2026-11-19", "2026-11-19", "2026-11-19"),
            "recommended_action": ["a", "b", "c"],
            "example_reason": ["r", "s", "t"],
        }
    )


@pytest.fixture
def funnel_df() -> pd.DataFrame:
    rows = [
        ("job1", "import", 10, 10, 0, 0, 0),
        ("job1", "matching", 10, 6, 2, 1, 1),
        ("job2", "import", 4, 4, 0, 0, 0),
        ("job2", "matching", 4, 1, 0, 0, 3),
        ("job2", "export", 1, 0, 0, 0, 1),
    ]
    columns = ["job_id", "step_type", "events", "success", "skipped", "warning", "failure"]
    return pd.DataFrame(rows, columns=columns)


def _bar_sizes(container, attr: str = "get_height") -> list[float]:
    return [getattr(patch, attr)() for patch in container.patches]


def _tick_texts(axis) -> list[str]:
    """The tick labels, a wrapped one on one line."""
    return [t.get_text().replace(" /\n", " / ") for t in axis.get_ticklabels()]


def _no_overlap(labels) -> bool:
    """No two visible, non-empty tick labels overlap once drawn."""
    boxes = [t.get_window_extent() for t in labels if t.get_visible() and t.get_text()]
    return all(not a.overlaps(b) for i, a in enumerate(boxes) for b in boxes[i + 1 :])


def test_failures_over_time_stacks_counts_by_code(timeline_df):
    ax = plots.failures_over_time(timeline_df)
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == [BAD_RESPONSE, "EntryConflict"]
    bad, conflict = ax.containers
    assert _bar_sizes(bad) == [1.0, 5.0]
    assert _bar_sizes(conflict) == [3.0, 0.0]
    assert [p.get_y() for p in conflict.patches] == [1.0, 5.0]  # stacked on the first code
    assert ax.get_title() == "Failures over time by error code"
    assert "UTC" in ax.get_xlabel()
    assert ax.get_ylabel() == "Events"


def test_failures_over_time_lumps_small_codes_into_other(timeline_df):
    ax = plots.failures_over_time(timeline_df, top=1)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["(other)"]
    assert _bar_sizes(ax.containers[0]) == [4.0, 5.0]


def test_failures_over_time_dates_are_utc_and_readable():
    times = pd.date_range("2026-11-17 00:00", periods=72, freq="1h", tz=UTC)
    df = pd.DataFrame({"time": times, "error_code": "E", "events": np.arange(72)})
    ax = plots.failures_over_time(df)
    ax.figure.canvas.draw()
    assert _no_overlap(ax.get_xticklabels())
    first = ax.patches[0]
    assert first.get_x() == pytest.approx(
        matplotlib.dates.date2num(np.datetime64("2026-11-17T00:00"))
    )
    assert first.get_width() == pytest.approx(1 / 24)


def test_failures_over_time_converts_other_zones_to_utc():
    df = pd.DataFrame(
        {"time": pd.to_datetime(["2026-11-18 10:00+01:00"]), "error_code": ["E"], "events": [2]}
    )
    ax = plots.failures_over_time(df)
    assert ax.patches[0].get_x() == pytest.approx(
        matplotlib.dates.date2num(np.datetime64("2026-11-18T09:00"))
    )


def test_top_errors_bars_are_counts_largest_on_top(summary_df):
    ax = plots.top_errors(summary_df, n=2)
    assert _bar_sizes(ax.containers[0], "get_width") == [7.0, 4.0]
    assert _tick_texts(ax.yaxis) == ["EntryConflict", "<script>x</script>"]
    assert ax.yaxis_inverted()
    assert ax.get_title() == "Top errors"
    assert ax.get_xlabel() == "Events"
    assert ax.get_ylabel() == "error code"


def test_top_errors_stacks_error_codes_failures_and_warnings(samples):
    codes = analysis.error_codes(samples)
    ax = plots.top_errors(codes)
    failed, warned = ax.containers
    assert _tick_texts(ax.yaxis)[:2] == ["EntryConflict", "UnableToResolveReferenceAttributeValue"]
    assert _bar_sizes(failed, "get_width")[:2] == [44.0, 38.0]
    assert _bar_sizes(warned, "get_width")[:2] == [0.0, 49.0]
    assert [p.get_facecolor() for p in (failed.patches[0], warned.patches[1])] == [
        matplotlib.colors.to_rgba(plots.STATUS_COLORS["failure"]),
        matplotlib.colors.to_rgba(plots.STATUS_COLORS["warning"]),
    ]
    assert [t.get_text() for t in ax.texts][:2] == ["44", "87"]  # each bar's total
    assert ax.get_title() == "Top failures and warnings"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["failure", "warning"]
    failures_only = plots.top_errors(analysis.error_codes(samples, status="failure"))
    assert failures_only.get_title() == "Top errors" and failures_only.get_legend() is None


def test_top_errors_says_what_a_summary_counted(samples):
    warned = plots.top_errors(analysis.failure_summary(samples, by="error_code", status="warning"))
    assert warned.get_title() == "Top warnings"
    assert _bar_sizes(warned.containers[1], "get_width") == [49.0]
    both = plots.top_errors(analysis.failure_summary(samples, by="error_code", status="both"))
    assert both.get_title() == "Top failures and warnings"
    assert _tick_texts(both.yaxis)[:2] == [
        "warning / UnableToResolveReferenceAttributeValue",
        "failure / EntryConflict",
    ]
    assert _bar_sizes(both.containers[0], "get_width")[:2] == [0.0, 44.0]


def test_top_errors_labels_rows_by_every_key():
    df = pd.DataFrame(
        {
            "error_code": ["E1", None],
            "target_system_name": ["Slack", "Box"],
            "events": [3, 2],
        }
    )
    ax = plots.top_errors(df)
    assert _tick_texts(ax.yaxis) == ["E1 / Slack", "(none) / Box"]
    assert ax.get_ylabel() == "error code / target system name"


def test_top_errors_tick_labels_do_not_overlap():
    codes = [f"AVeryLongErrorCodeNumber{i:02d}ThatGoesOn" for i in range(10)]
    df = pd.DataFrame({"error_code": codes, "events": range(10, 0, -1)})
    ax = plots.top_errors(df)
    ax.figure.canvas.draw()
    assert _no_overlap(ax.get_yticklabels())


def test_step_funnel_draws_one_block_per_group(funnel_df):
    ax = plots.step_funnel(funnel_df)
    assert _tick_texts(ax.yaxis) == ["", "import", "matching", "", "import", "matching", "export"]
    assert [t.get_text() for t in ax.texts] == ["job id: job1", "job id: job2"]
    assert [t.get_position()[1] for t in ax.texts] == [0, 3]  # each above its block
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "success",
        "skipped",
        "warning",
        "failure",
    ]
    success, skipped, warning, failure = ax.containers
    assert _bar_sizes(success, "get_width") == [0.0, 10.0, 6.0, 0.0, 4.0, 1.0, 0.0]
    assert _bar_sizes(failure, "get_width") == [0.0, 0.0, 1.0, 0.0, 0.0, 3.0, 1.0]
    assert _bar_sizes(skipped, "get_width") == [0.0, 0.0, 2.0, 0.0, 0.0, 0.0, 0.0]
    assert _bar_sizes(warning, "get_width") == [0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0]
    assert ax.get_title() == "Step funnel by job id"
    assert ax.get_ylabel() == "job id / step type"


def test_step_funnel_without_a_group_is_one_funnel(funnel_df):
    summed = funnel_df.drop(columns="job_id").groupby("step_type", sort=False).sum().reset_index()
    ax = plots.step_funnel(summed)
    assert _tick_texts(ax.yaxis) == ["import", "matching", "export"]
    assert not ax.texts
    success, _skipped, _warning, failure = ax.containers
    assert _bar_sizes(success, "get_width") == [14.0, 7.0, 0.0]
    assert _bar_sizes(failure, "get_width") == [0.0, 4.0, 1.0]
    assert [p.get_x() for p in failure.patches] == [14.0, 10.0, 0.0]
    assert ax.get_title() == "Step funnel"


def test_step_funnel_of_the_samples_by_target_system(samples):
    funnel = analysis.step_funnel(samples, by="target_system_name")
    ax = plots.step_funnel(funnel)
    targets = funnel["target_system_name"].unique().tolist()
    assert [t.get_text() for t in ax.texts] == [f"target system name: {t}" for t in targets]
    assert sum(_bar_sizes(ax.containers[3], "get_width")) == funnel["failure"].sum()
    assert ax.get_title() == "Step funnel by target system name"


def test_step_funnel_heads_name_jobs_by_template_not_a_cut_off_id(samples):
    funnel = analysis.step_funnel(samples, by=["job_id", "action"])
    ax = plots.step_funnel(funnel, top=None)
    heads = [t.get_text() for t in ax.texts]
    # jobs of one template tell themselves apart by the start of their own id
    assert "job id / action: Workday2AD (cd73de00) / create" in heads
    assert "job id / action: Workday2AD (de0279e1) / create" in heads
    assert "job id / action: salesforce / create" in heads
    assert "job id / action: salesforce / update" in heads
    assert len(set(heads)) == len(heads) == len(funnel.groupby(["job_id", "action"], dropna=False))
    assert not any("f38b2ffc" in head for head in heads)


def test_step_funnel_heads_name_a_job_by_its_app_when_the_funnel_has_it(samples):
    by = ["job_id", "service_principal_name", "action"]
    ax = plots.step_funnel(analysis.step_funnel(samples, by=by), top=None)
    heads = [t.get_text() for t in ax.texts]
    assert "job id / action: Salesforce (salesforce) / create" in heads
    assert "job id / action: Salesforce (salesforce) / update" in heads
    assert "job id / action: Contoso Expenses (SCIM) (scim) / create" in heads
    assert heads[0] == (  # whole: the action at its end is not cut off
        "job id / action: Workday to Active Directory User Provisioning "
        "(Workday2AD, cd73de00) / create"
    )
    assert ax.get_title() == "Step funnel by job id / action"


def test_durations_histogram_counts_every_event():
    events = pd.DataFrame({"duration_ms": pd.array([100, 200, 200, 900, None], dtype="Int64")})
    ax = plots.durations(events, bins=4)
    assert sum(_bar_sizes(ax.containers[0])) == 4
    assert _bar_sizes(ax.containers[0]) == [3.0, 0.0, 0.0, 1.0]
    assert ax.get_legend().get_texts()[0].get_text() == "median 200 ms"
    assert ax.get_xlabel() == "Duration (ms)"


def test_durations_takes_frames():
    class Frames:
        events = pd.DataFrame({"duration_ms": [5, 15]})

    ax = plots.durations(Frames(), bins=2)
    assert _bar_sizes(ax.containers[0]) == [1.0, 1.0]


def test_durations_takes_a_snapshot_path_as_the_analysis_helpers_do(samples, tmp_path):
    snapshot = samples.to_parquet(tmp_path / "snap")
    for given in (snapshot, str(snapshot)):
        ax = plots.durations(given, bins=5)
        assert sum(_bar_sizes(ax.containers[0])) == samples.events["duration_ms"].notna().sum()
    with pytest.raises(pv.InputError):
        plots.durations(tmp_path / "nothing-here")


def test_cycle_failure_rate_one_line_per_job():
    cycles = pd.DataFrame(
        {
            "job_id": ["b", "a", "a"],
            "cycle_id": ["c3", "c1", "c2"],
            "start": _times("2026-11-18 10:00", "2026-11-18 08:00", "2026-11-18 09:00"),
            "failure_rate": [0.5, 0.25, float("nan")],
        }
    )
    ax = plots.cycle_failure_rate(cycles)
    lines = ax.get_lines()
    assert [line.get_label() for line in lines] == ["a", "b"]
    np.testing.assert_array_equal(lines[0].get_ydata(), [0.25, np.nan])
    assert list(lines[1].get_ydata()) == [0.5]
    assert ax.yaxis.get_major_formatter()(0.5, 0) == "50%"
    assert "UTC" in ax.get_xlabel()


def test_recovery_times_in_hours_with_groups_that_add_up():
    rec = pd.DataFrame(
        {
            "time_to_recovery": pd.to_timedelta(["1h", "3h", None, "3h", "1h", None]),
            "still_failing": [False, False, True, False, True, False],
        }
    )
    ax = plots.recovery_times(rec, bins=2)
    recovered, failing_again = ax.containers
    assert _bar_sizes(recovered) == [1.0, 2.0]
    assert _bar_sizes(failing_again) == [1.0, 0.0]
    legend = ax.get_legend()
    assert legend.get_title().get_text() == "6 objects that failed"
    assert [t.get_text() for t in legend.get_texts()] == [
        "3 recovered, not failing now",
        "1 recovered, failing again",
        "1 not recovered, still failing",
        "1 not recovered, latest event skipped or warned",
    ]
    assert ax.get_xlabel().startswith("Hours")


def test_recovery_legend_of_the_samples_adds_up(samples):
    rec = analysis.recovery(samples)
    texts = [t.get_text() for t in plots.recovery_times(rec).get_legend().get_texts()]
    assert texts == [
        "48 recovered, not failing now",
        "11 recovered, failing again",
        "123 not recovered, still failing",
        "14 not recovered, latest event skipped or warned",
    ]
    assert 48 + 11 + 123 + 14 == len(rec) == 196


def test_success_rate_line():
    df = pd.DataFrame(
        {"time": _times("2026-11-18", "2026-11-19"), "success_rate": [0.9, float("nan")]}
    )
    ax = plots.success_rate(df)
    np.testing.assert_array_equal(ax.get_lines()[0].get_ydata(), [0.9, np.nan])
    assert ax.get_title() == "Success rate"
    assert "UTC" in ax.get_xlabel()


EMPTY_CASES = [
    (plots.failures_over_time, ["time", "error_code", "events"]),
    (plots.top_errors, ["error_code", "events"]),
    (plots.step_funnel, ["step_type", "events", "success", "skipped", "warning", "failure"]),
    (plots.durations, ["duration_ms"]),
    (plots.cycle_failure_rate, ["job_id", "start", "failure_rate"]),
    (plots.recovery_times, ["time_to_recovery", "still_failing"]),
    (plots.success_rate, ["time", "success_rate"]),
]


@pytest.mark.parametrize(("chart", "columns"), EMPTY_CASES)
def test_empty_input_says_no_data(chart, columns):
    ax = chart(pd.DataFrame(columns=columns))
    assert [t.get_text() for t in ax.texts] == ["no data"]
    assert ax.get_title()
    assert not ax.patches


@pytest.mark.parametrize(("chart", "columns"), EMPTY_CASES)
def test_missing_column_is_a_config_error(chart, columns):
    with pytest.raises(ConfigError, match=columns[-1]):
        chart(pd.DataFrame({"other": [1]}))


def test_a_chart_given_another_helpers_result_names_the_helper_it_takes():
    timeline_df = pd.DataFrame(
        {"time": pd.to_datetime(["2026-11-18"], utc=True), "error_code": ["X"], "events": [3]}
    )
    with pytest.raises(ConfigError) as caught:
        plots.top_errors(timeline_df)
    assert str(caught.value) == (
        "top_errors takes pv.analysis.failure_summary (or error_codes)'s result, one row per "
        "group; got a DataFrame with a time column (events per time bin: plot "
        "pv.analysis.timeline's result with pv.plots.failures_over_time)"
    )
    with pytest.raises(ConfigError) as caught:
        plots.top_errors(timeline_df.drop(columns="events"))
    assert str(caught.value) == (
        "top_errors needs the column(s) events of pv.analysis.failure_summary (or "
        "error_codes)'s result; got a DataFrame with time, error_code"
    )
    with pytest.raises(ConfigError) as caught:
        plots.failures_over_time(None)
    assert str(caught.value) == (
        "failures_over_time takes the DataFrame pv.analysis.timeline returns; got None"
    )
    with pytest.raises(ConfigError) as caught:
        plots.durations({"duration_ms": [1]})
    assert str(caught.value) == (
        "durations takes ProvisioningFrames or the path of a store/snapshot folder, or a "
        "DataFrame of events (frames.events or pv.analysis.slowest's result); got a dict"
    )


def test_draws_on_the_given_axes_and_leaves_pyplot_alone(summary_df):
    before = plt.get_fignums()
    fig = Figure()
    ax = fig.add_subplot()
    assert plots.top_errors(summary_df, ax=ax) is ax
    new = plots.top_errors(summary_df)
    assert isinstance(new.figure, Figure)
    assert plt.get_fignums() == before


@pytest.fixture(scope="module")
def samples() -> pv.ProvisioningFrames:
    return pv.load(SAMPLES)


def test_charts_of_the_samples_show_the_helpers_numbers(samples):
    summary = analysis.failure_summary(samples, by=("error_code",))
    ax = plots.top_errors(summary)
    assert _bar_sizes(ax.containers[0], "get_width") == summary["events"].head(10).tolist()
    assert _tick_texts(ax.yaxis) == summary["error_code"].head(10).tolist()
    over_time = plots.failures_over_time(analysis.timeline(samples, freq="1D"))
    assert sum(p.get_height() for p in over_time.patches) == 252  # every failed event once
    funnel = analysis.step_funnel(samples, by=None)
    ax = plots.step_funnel(funnel)
    assert _tick_texts(ax.yaxis) == funnel["step_type"].tolist()
    assert _bar_sizes(ax.containers[3], "get_width") == funnel["failure"].tolist()


def _legend_inside_figure(ax) -> bool:
    figure = ax.figure
    figure.draw_without_rendering()
    legend = ax.get_legend().get_window_extent(figure._get_renderer())
    box = figure.bbox
    return (
        box.x0 <= legend.x0 and legend.x1 <= box.x1 and box.y0 <= legend.y0 <= legend.y1 <= box.y1
    )


def test_cycle_legend_of_ten_long_job_ids_stays_inside_the_figure():
    jobs = [
        f"Workday2AD.f38b2ffc80a44f5a91c9bc701e7ea419.{i:02d}cd73de00-81a0-4e2f" for i in range(10)
    ]
    starts = _times(*(f"2026-11-18 {h:02d}:00" for h in range(10)))
    cycles = pd.DataFrame({"job_id": jobs, "start": starts, "failure_rate": np.linspace(0, 1, 10)})
    ax = plots.cycle_failure_rate(cycles)
    assert len(ax.get_legend().get_texts()) == 10
    assert _legend_inside_figure(ax)


def test_timeline_legend_of_eight_codes_stays_inside_the_figure():
    codes = [f"{name}Code{i}" for i, name in enumerate(["EntryConflict", BAD_RESPONSE] * 5)]
    timeline = pd.DataFrame(
        {
            "time": _times(*(f"2026-11-18 {h:02d}:00" for h in range(10))),
            "error_code": codes,
            "events": range(1, 11),
        }
    )
    ax = plots.failures_over_time(timeline)
    assert len(ax.get_legend().get_texts()) == 8
    assert _legend_inside_figure(ax)


def test_top_errors_refuses_a_table_that_does_not_group_errors():
    step_funnel_df = pd.DataFrame(
        {"job_id": ["j"], "step_type": ["export"], "events": [3], "success": [2], "failure": [1]}
    )
    with pytest.raises(ConfigError) as caught:
        plots.top_errors(step_funnel_df)
    assert str(caught.value) == (
        "top_errors takes pv.analysis.failure_summary (or error_codes)'s result, groups of "
        "`errors` columns; got a DataFrame with step_type, success, failure, which no such "
        "result has"
    )


def _inside(inner, outer) -> bool:
    return (
        outer.x0 <= inner.x0 <= inner.x1 <= outer.x1
        and outer.y0 <= inner.y0 <= inner.y1 <= outer.y1
    )


def test_top_errors_of_both_statuses_shows_whole_labels_and_numbers_inside(samples):
    summary = analysis.failure_summary(samples, status="both")
    ax = plots.top_errors(summary)
    figure = ax.figure
    figure.draw_without_rendering()
    renderer = figure._get_renderer()
    assert _inside(ax.yaxis.label.get_window_extent(renderer), figure.bbox)
    assert ax.get_ylabel().replace(" /\n", " / ") == (
        "status / error code / error category / target system name / action"
    )
    ticks = [t.get_text().replace(" /\n", " / ") for t in ax.get_yticklabels()]
    assert ticks[0] == " / ".join(map(str, summary.iloc[0][:5]))  # whole, not cut
    assert not any("…" in t for t in ticks)
    assert all(_inside(t.get_window_extent(renderer), figure.bbox) for t in ax.get_yticklabels())
    numbers = [t for t in ax.texts if t.get_text() == str(summary["events"].max())]
    assert numbers and _inside(numbers[0].get_window_extent(renderer), ax.bbox)


def test_step_funnel_keeps_the_largest_bar_clear_of_the_frame(samples):
    for by in (None, ["target_system_name", "action"]):
        funnel = analysis.step_funnel(samples, by=by)
        ax = plots.step_funnel(funnel, top=None)
        largest = funnel[list(FUNNEL_STATUSES)].sum(axis=1).max()
        assert largest < ax.get_xlim()[1] <= largest * 1.1
    assert ax.get_title() == "Step funnel by target system name / action"


def _most_failing_groups(funnel: pd.DataFrame, keys: list[str], top: int) -> list[str]:
    """The head texts of the `top` groups with the most failures and warnings (then events),
    in the funnel's order, computed apart from the chart."""
    groups = funnel.groupby(keys, sort=False)
    failing = groups[["failure", "warning"]].sum().sum(axis=1)
    events = groups["events"].max()
    ranked = pd.DataFrame({"failing": failing, "events": events}).reset_index()
    ranked["order"] = range(len(ranked))
    ranked = ranked.sort_values(["failing", "events"], ascending=False, kind="stable")
    kept = ranked.head(top).sort_values("order")
    by = " / ".join(k.replace("_", " ") for k in keys)
    return [f"{by}: {' / '.join(row)}" for row in kept[keys].itertuples(index=False)]


def test_a_funnel_of_many_groups_draws_the_most_failing_and_says_what_it_left_out(samples):
    keys = ["target_system_name", "action"]
    funnel = analysis.step_funnel(samples, by=keys)
    groups = funnel.groupby(keys).ngroups
    ax = plots.step_funnel(funnel)
    heads = [t.get_text() for t in ax.texts]
    assert heads == _most_failing_groups(funnel, keys, FUNNEL_TOP)
    assert "target system name / action: Salesforce / create" in heads
    shown = funnel.set_index(keys).loc[[tuple(h.split(": ")[1].split(" / ")) for h in heads]]
    assert sum(_bar_sizes(ax.containers[3], "get_width")) == shown["failure"].sum()
    left_out = (
        funnel.groupby(keys)["events"].max().sum() - shown.groupby(keys)["events"].max().sum()
    )
    assert ax.get_title() == (
        "Step funnel by target system name / action\n"
        f"8 of {groups} groups, those with the most failures and warnings;\n{groups - 8} left out "
        f"({left_out:,} events): top=None draws all"
    )
    every = plots.step_funnel(funnel, top=None)
    assert len(every.texts) == groups
    assert every.get_title() == "Step funnel by target system name / action"


def test_a_funnel_title_with_its_note_lies_inside_the_figure(samples, tmp_path):
    """The note's end ("top=None draws all") ran off the right edge of the saved PNG."""
    funnel = analysis.step_funnel(samples, by=["target_system_name", "action"])
    long_by = funnel.rename(columns={"action": "the_action_the_event_was_about_as_entra_says"})
    for ax in (plots.step_funnel(funnel), plots.step_funnel(long_by, top=2)):
        ax.figure.savefig(tmp_path / "funnel.png")
        title = ax.title.get_window_extent(ax.figure._get_renderer())
        assert _inside(title, ax.figure.bbox)
        assert "top=None draws all" in ax.get_title()


def test_a_long_title_given_to_a_chart_is_broken_to_lie_inside_it(timeline_df):
    title = (
        "Failures over time of every synchronization job of the Contoso tenant, per error code, "
        "from the first cycle of last week to the last cycle of this week"
    )
    ax = plots.failures_over_time(timeline_df, title=title)
    ax.figure.draw_without_rendering()
    assert _inside(ax.title.get_window_extent(ax.figure._get_renderer()), ax.figure.bbox)
    assert ax.get_title().replace("\n", " ") == title


def test_a_tall_funnel_has_no_blank_rows_and_its_scale_above_and_below(samples, tmp_path):
    """It was 900 x 5,370 px with ~250 px of nothing above the first group and the event
    scale only at the very bottom."""
    ax = plots.step_funnel(analysis.step_funnel(samples, by=["target_system_name", "action"]))
    rows = len(ax.get_yticks())
    assert ax.get_ylim() == (rows - 0.5, -0.5)  # the first group's head row right at the top
    ax.figure.savefig(tmp_path / "funnel.png", bbox_inches="tight")
    height, width = plt.imread(tmp_path / "funnel.png").shape[:2]
    assert width < 1000 and height < 1600
    ax.figure.draw_without_rendering()
    tick = next(t for t in ax.xaxis.get_major_ticks() if t.label1.get_text())
    assert tick.label1.get_visible() and tick.label2.get_visible()
    assert tick.label2.get_text() == tick.label1.get_text()
    small = plots.step_funnel(analysis.step_funnel(samples, by=None))
    assert not small.xaxis.get_major_ticks()[0].label2.get_visible()  # short: scale below only


@pytest.mark.parametrize("top", [0, -1, 2.5, True, "8"])
def test_step_funnel_top_is_a_number_of_groups_or_none(funnel_df, top):
    with pytest.raises(ConfigError, match=r"step_funnel\(top=.*\): give a whole number of groups"):
        plots.step_funnel(funnel_df, top=top)
    assert len(plots.step_funnel(funnel_df, top=np.int64(1)).texts) == 1


def _legend_texts(ax) -> list[str]:
    return [t.get_text() for t in ax.get_legend().get_texts()]


def test_cycle_legend_names_each_job_by_its_app_and_template(samples):
    """Job ids begin alike after their template (the tenant id follows): the legend names the
    app, and the start of the job's own id only for the two Workday jobs of one app."""
    ax = plots.cycle_failure_rate(analysis.cycles(samples))
    workday = "Workday to Active Directory User Provisioning (Workday2AD, "
    assert _legend_texts(ax) == [
        "Contoso Expenses (SCIM) (scim)",
        "Salesforce (salesforce)",
        "ServiceNow (serviceNowOutDelta)",
        "Slack (slack)",
        workday + "cd73de00)",
        workday + "de0279e1)",
    ]
    assert _legend_inside_figure(ax)


def test_cycle_legend_without_app_names_uses_the_template_and_tells_twins_apart():
    tenant = "f38b2ffc80a44f5a91c9bc701e7ea419"
    jobs = [f"scim.{tenant}.1111aaaa-0000", f"scim.{tenant}.2222bbbb-0000", f"slack.{tenant}.3"]
    cycles = pd.DataFrame(
        {
            "job_id": [*jobs, None],
            "start": _times(
                "2026-11-18 09:00", "2026-11-18 10:00", "2026-11-18 11:00", "2026-11-18 12:00"
            ),
            "failure_rate": [0.5, 0.25, 0.0, 1.0],
        }
    )
    ax = plots.cycle_failure_rate(cycles)
    assert _legend_texts(ax) == ["(none)", "scim (1111aaaa)", "scim (2222bbbb)", "slack"]
    rates = {line.get_label(): line.get_ydata().tolist() for line in ax.get_lines()}
    assert rates["scim (2222bbbb)"] == [0.25]
