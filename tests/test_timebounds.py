"""since/until: one reader and one order check for the library (filter_frames, read_parquet,
fetch_logs, build_filter) and both commands (report, fetch), every form each accepted."""

from __future__ import annotations

import json
import re
import warnings
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pandas as pd
import pytest
from click.testing import CliRunner
from fakegraph import TOKEN

import provlytics as pv
from provlytics.cli import main
from provlytics.errors import ConfigError
from provlytics.graph.odata import build_filter
from provlytics.timebounds import OPTIONS, parse_duration, parse_time, window_times

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
SAMPLES = Path(__file__).resolve().parents[1] / "data" / "samples"
NEWEST = datetime(2026, 11, 22, 23, 51, 43, tzinfo=UTC)  # the samples' newest event
NOV_20 = datetime(2026, 11, 20, tzinfo=UTC)

DURATIONS = [  # text, the time it stands for back from NOW
    ("7d", NOW - timedelta(days=7)),
    ("7D", NOW - timedelta(days=7)),
    ("7 days", NOW - timedelta(days=7)),
    ("12h", NOW - timedelta(hours=12)),
    ("12H", NOW - timedelta(hours=12)),
    (" 1.5H ", NOW - timedelta(hours=1.5)),
    ("30m", NOW - timedelta(minutes=30)),
    ("30min", NOW - timedelta(minutes=30)),
    ("45s", NOW - timedelta(seconds=45)),
    ("2w", NOW - timedelta(days=14)),
    ("1 week", NOW - timedelta(days=7)),
    ("500ms", NOW - timedelta(milliseconds=500)),
]
NOV_20_FORMS = [  # every spelling of 2026-11-20 00:00 UTC
    "2026-11-20",
    "2026-11-20T00:00:00Z",
    "2026-11-20T00:00:00z",
    "2026-11-20T00:00",
    "2026-11-20T01:00:00+01:00",
    "2026-11-19 19:00:00-0500",
    "20261120",
    "20261120T000000Z",
    "2026-W47-5",
    "2026/11/20",
    "Nov 20 2026",
    "2026-11-20 00:00 UTC",
    date(2026, 11, 20),
    datetime(2026, 11, 20),
    datetime(2026, 11, 20, 2, tzinfo=timezone(timedelta(hours=2))),
    pd.Timestamp("2026-11-20"),
    pd.Timestamp("2026-11-20T00:00Z"),
]


@pytest.mark.parametrize(("value", "expected"), DURATIONS)
def test_a_duration_counts_back_from_the_reference(value: str, expected: datetime) -> None:
    assert parse_time(value, NOW) == expected


@pytest.mark.parametrize("value", NOV_20_FORMS, ids=str)
def test_each_spelling_of_a_time(value: Any) -> None:
    parsed = parse_time(value, NOW)
    assert parsed == NOV_20
    assert parsed.tzinfo is not None


def test_a_duration_counts_back_from_now_without_a_reference() -> None:
    before = datetime.now(UTC)
    assert before - timedelta(hours=1, seconds=5) < parse_time("1h") <= datetime.now(UTC)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("last tuesday", "since='last tuesday' is not a date, a time or a duration such as"),
        ("", "since='' is not a date, a time or a duration such as '7d'"),
        ("-3d", "since='-3d' is not a date, a time or a duration such as '7d'"),
        (17, "since=17 is not a date, a time or a duration such as '7d'"),
        (True, "since=True is not a date, a time or a duration such as '7d'"),
        ("7 fortnights", "since='7 fortnights' is not a duration such as '7d', '12h', '30min'"),
        (
            "05/11/2026",
            "since='05/11/2026' could be 2026-11-05 or 2026-05-11 (day and month either way "
            "round): write the date as ISO 8601, year first",
        ),
        ("3.4.26", "since='3.4.26' could be 2026-04-03 or 2026-03-04"),
    ],
)
def test_what_is_no_time_is_refused_naming_the_argument(value: Any, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_time(value, NOW, name="since")
    assert str(caught.value).startswith(message)


DAY_WORD_HINT = "is not read: write a date such as 2026-12-01 (its midnight, UTC) or a duration"


@pytest.mark.parametrize("word", ["today", "yesterday", "tomorrow", " Today ", "TOMORROW"])
def test_a_day_word_is_refused_with_a_hint_not_read_as_the_current_moment(word: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_time(word, NOW, name="since")
    assert str(caught.value) == f"since={word!r} {DAY_WORD_HINT} such as '1d'"


@pytest.mark.parametrize("word", ["now", " NOW "])
def test_now_is_the_current_time_in_utc_whatever_the_reference(word: str) -> None:
    before = datetime.now(UTC)
    parsed = parse_time(word, NOW)
    assert before <= parsed <= datetime.now(UTC)
    assert parsed.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    ("since", "until", "names", "message"),
    [
        (
            "2026-11-21",
            "1d",
            ("since", "until"),
            "since='2026-11-21' (2026-11-21 00:00:00 UTC) is after until='1d' "
            "(2026-11-20 00:00:00 UTC): no event can be in that window (swap them?)",
        ),
        (
            "2026-11-20",
            datetime(2026, 11, 20, tzinfo=UTC),
            OPTIONS,
            "--since '2026-11-20' (2026-11-20 00:00:00 UTC) is the same time as --until "
            "2026-11-20 00:00:00+00:00 (2026-11-20 00:00:00 UTC): no event can be in that "
            "window (until is left out)",
        ),
    ],
)
def test_since_not_before_until_is_one_message(since, until, names, message) -> None:
    with pytest.raises(ConfigError) as caught:
        window_times(since, until, datetime(2026, 11, 21, tzinfo=UTC), names=names)
    assert str(caught.value) == message


@pytest.mark.parametrize(
    ("value", "day"), [("20/11/2026", "2026-11-20"), ("11/20/2026", "2026-11-20"),
                       ("16.11.2026", "2026-11-16"), ("05/05/2026", "2026-05-05")],
)  # fmt: skip
def test_a_date_whose_day_and_month_cannot_be_swapped_is_read(value: str, day: str) -> None:
    assert parse_time(value, NOW) == datetime.fromisoformat(day).replace(tzinfo=UTC)


def test_filter_frames_refuses_a_day_and_month_that_could_be_swapped(samples) -> None:
    with pytest.raises(ConfigError, match="could be 2026-11-05 or 2026-05-11"):
        pv.analysis.filter_frames(samples, since="05/11/2026")


def test_either_bound_alone_or_in_order_is_a_window() -> None:
    assert window_times(None, "1d", NOW) == (None, NOW - timedelta(days=1))
    assert window_times("2d", None, NOW) == (NOW - timedelta(days=2), None)
    assert window_times("2d", "1d", NOW) == (NOW - timedelta(days=2), NOW - timedelta(days=1))


LENGTHS = [  # text, the length it stands for: the README's units and the ones pandas reads
    ("7d", timedelta(days=7)),
    ("2w", timedelta(weeks=2)),
    ("1W", timedelta(weeks=1)),
    ("12h", timedelta(hours=12)),
    ("30min", timedelta(minutes=30)),
    ("90s", timedelta(seconds=90)),
    ("500ms", timedelta(milliseconds=500)),
    ("1h30min", timedelta(hours=1, minutes=30)),
    ("1 day 12 hours", timedelta(days=1, hours=12)),
]
CLOCK_LENGTHS = [("P1DT2H", timedelta(days=1, hours=2)), ("02:00:00", timedelta(hours=2))]


@pytest.mark.parametrize(("text", "length"), LENGTHS)
def test_a_duration_is_read_without_a_pandas_warning(text: str, length: timedelta) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # pandas 3 warns "'d' is deprecated" for pd.Timedelta("7d")
        assert parse_duration(text, "window") == length
        assert parse_time(text, NOW) == NOW - length  # the same reading, back from NOW


@pytest.mark.parametrize(("text", "length"), CLOCK_LENGTHS)
def test_a_length_pandas_reads_is_a_duration_too(text: str, length: timedelta) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert parse_duration(text, "window") == length


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("-1d", "window='-1d' is not a positive duration such as '7d', '12h', '30min' or '2w'"),
        ("0h", "window='0h' is not a positive duration such as '7d', '12h', '30min' or '2w'"),
        ("abc", "window='abc' is not a duration such as '7d', '12h', '30min' or '2w'"),
        ("7 fortnights", "window='7 fortnights' is not a duration such as '7d', '12h'"),
        ("", "window='' is not a duration such as '7d'"),
        (None, "window=None is not a duration such as '7d'"),
        ("99999999999d", "window='99999999999d' is too long a duration"),
    ],
)
def test_a_bad_duration_is_refused_naming_it(text: Any, message: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ConfigError) as caught:
            parse_duration(text, "window")
    assert str(caught.value).startswith(message)


MONTH_HINT = "write 30d for a month; 1min or 1m for a minute"
MINUTE_HINT = f"and a minute to others; {MONTH_HINT}"
CALENDAR = [  # text, why it is refused: months and years have no fixed length; "M" is either
    ("1M", f"'M' is a month to some {MINUTE_HINT}"),
    ("1h30M", f"'M' is a month to some {MINUTE_HINT}"),
    ("1mo", f"a month has no fixed length; {MONTH_HINT}"),
    ("3 Months", f"a month has no fixed length; {MONTH_HINT}"),
    ("1y", "a year has no fixed length; write 365d for a year"),
    ("2 years", "a year has no fixed length; write 365d for a year"),
]


@pytest.mark.parametrize(("text", "why"), CALENDAR)
def test_a_month_or_a_year_is_refused_with_a_hint(text: str, why: str) -> None:
    with pytest.raises(ConfigError) as length:
        parse_duration(text, "window")
    assert str(length.value) == f"window={text!r} is not read: {why}"
    with pytest.raises(ConfigError) as back:
        parse_time(text, NOW, name="--since")
    assert str(back.value) == f"--since {text!r} is not read: {why}"


@pytest.mark.parametrize("text", ["P1M", "P1Y", "p2y3m"])
def test_an_iso_month_is_not_read_as_a_minute(text: str) -> None:
    with pytest.raises(ConfigError, match=rf"^window='{text}' is not read: an ISO 8601 month"):
        parse_duration(text, "window")  # pandas reads "P1M" as one minute
    assert parse_duration("PT1M") == timedelta(minutes=1)


def test_a_small_m_is_still_a_minute() -> None:
    for text in ("1m", "1min", "1MIN", "1 minute"):
        assert parse_duration(text) == timedelta(minutes=1)
        assert parse_time(text, NOW) == NOW - timedelta(minutes=1)


def test_a_bin_width_of_a_month_is_refused_with_a_hint(samples) -> None:
    with pytest.raises(ConfigError) as caught:
        pv.analysis.timeline(samples, freq="1M")  # was one-minute bins
    assert str(caught.value).startswith("freq='1M' is not a fixed pandas frequency")
    assert MONTH_HINT in str(caught.value)


def test_zero_is_a_bound_and_with_zero_a_length_but_never_negative() -> None:
    assert parse_time("0h", NOW) == NOW  # since="0h": the reference itself
    assert parse_duration("0s", "--overlap", zero=True) == timedelta(0)
    assert parse_duration("5m", "--overlap", zero=True) == timedelta(minutes=5)
    with pytest.raises(ConfigError, match=r"^--overlap '-5m' is not a duration of zero or more"):
        parse_duration("-5m", "--overlap", zero=True)
    with pytest.raises(ConfigError, match=r"^--window '0s' is not a positive duration"):
        parse_duration("0s", "--window")


def test_a_duration_back_before_the_year_1_is_refused_naming_it() -> None:
    with pytest.raises(ConfigError, match=r"^since='1000000d' reaches back before the year 1$"):
        parse_time("1000000d", NOW, name="since")


def test_a_timedelta_is_a_duration_as_it_is() -> None:
    assert parse_duration(pd.Timedelta("3h")) == timedelta(hours=3)
    with pytest.raises(ConfigError, match=r"^duration=-1 day, 0:00:00 is not a positive"):
        parse_duration(timedelta(days=-1))


@pytest.mark.parametrize(("window", "length"), LENGTHS[:7])
def test_alerts_read_their_window_without_a_pandas_warning(samples, window, length) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        alerts = pv.analysis.alerts(samples, window=window)
    pd.testing.assert_frame_equal(alerts, pv.analysis.alerts(samples, window=length))


def test_an_alert_window_is_as_long_as_its_text_says(samples) -> None:
    alerts = pv.analysis.alerts(samples, window="1h30min")
    windows = alerts[alerts["kind"] != "quarantined"]  # a quarantine's runs from its start
    assert len(windows) == 2
    assert (windows["window_end"] - windows["window_start"] == pd.Timedelta("90min")).all()


def test_alerts_refuse_a_window_that_is_no_positive_duration(samples) -> None:
    with pytest.raises(ConfigError, match=r"^window='-1d' is not a positive duration"):
        pv.analysis.alerts(samples, window="-1d")


def test_the_job_panel_window_reads_durations_without_a_pandas_warning(samples) -> None:
    from provlytics.widgets import JobHealthPanel

    panel = JobHealthPanel(samples)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        panel.controls["window"].value = "1W"
        assert panel.values["window"] == "1W"
        assert len(panel.sections["alerts"]) == len(pv.analysis.alerts(samples, window="7d"))
        panel.controls["window"].value = "-1d"
    assert panel.values["window"] == "1W"
    assert panel.panel.headline.startswith("Alert window '-1d' is not a positive duration such as")
    panel.controls["window"].value = "1M"  # the reader's own hint reaches the headline
    assert panel.panel.headline == (
        "Alert window '1M' is not read: 'M' is a month to some and a minute to others; write "
        "30d for a month; 1min or 1m for a minute (the window stays '1W')"
    )


# -- the library


@pytest.fixture(scope="module")
def snapshot(samples: pv.ProvisioningFrames, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return samples.to_parquet(tmp_path_factory.mktemp("snap") / "s")


@pytest.mark.parametrize("since", [*NOV_20_FORMS[::4], "2026-W47-5"], ids=str)
def test_filter_frames_and_read_parquet_read_each_spelling(samples, snapshot, since) -> None:
    events = samples.events
    expected = int((events["activity_time"] >= pd.Timestamp(NOV_20)).sum())
    assert 0 < expected < len(events)
    assert len(pv.analysis.filter_frames(samples, since=since).events) == expected
    assert len(pv.read_parquet(snapshot, since=since).events) == expected


def test_filter_frames_refuses_today_instead_of_narrowing_to_this_second(samples) -> None:
    with pytest.raises(ConfigError, match="^since=.today. " + re.escape(DAY_WORD_HINT)):
        pv.analysis.filter_frames(samples, since="today")
    assert len(pv.analysis.filter_frames(samples, until="now").events) == len(samples.events)


@pytest.mark.parametrize("until", ["1d", "24h", "1440min", "86400s", "1 day"])
def test_a_duration_counts_back_from_the_newest_event(samples, until) -> None:
    events = samples.events
    expected = int((events["activity_time"] < pd.Timestamp(NEWEST - timedelta(days=1))).sum())
    assert len(pv.analysis.filter_frames(samples, until=until).events) == expected


@pytest.mark.parametrize("since", NOV_20_FORMS[::3], ids=str)
def test_build_filter_reads_each_spelling(since) -> None:
    assert build_filter(since=since, now=NOW) == "activityDateTime gt 2026-11-20T00:00:00Z"


def test_build_filter_refuses_since_after_until_as_everyone_does() -> None:
    with pytest.raises(ConfigError, match=r"^since='1d' \(2026-11-22 12:00:00 UTC\) is after"):
        build_filter(since="1d", until="7d", now=NOW)


def test_fetch_logs_refuses_since_after_until_before_anything_is_spooled(
    client, httpserver, tmp_path
) -> None:
    spool = tmp_path / "spool"
    with pytest.raises(ConfigError, match=r"^since='2026-11-20' .* is after until='2w'"):
        pv.fetch_logs(client, since="2026-11-20", until="2w", spool=spool, now=NOW)
    assert not spool.exists()
    assert httpserver.log == []  # nothing asked of Graph


@pytest.mark.parametrize(("since", "start"), [("2w", NOW - timedelta(days=14)), *DURATIONS[:3]])
def test_fetch_logs_counts_durations_back_from_now(client, httpserver, since, start) -> None:
    pv.fetch_logs(client, since=since, now=NOW, progress=False)
    assert _first_filter(httpserver).startswith(f"activityDateTime gt {start:%Y-%m-%dT%H:%M:%S}Z")


# -- the command line


def _first_filter(httpserver) -> str:
    request = httpserver.log[0][0]
    return parse_qs(urlsplit(request.url).query)["$filter"][0]


@pytest.mark.parametrize("since", NOV_20_FORMS[1:12:2])
def test_report_reads_each_spelling(runner: CliRunner, tmp_path: Path, since: str) -> None:
    out = tmp_path / "report"
    result = runner.invoke(main, ["report", str(SAMPLES), "--out", str(out), "--since", since])
    assert result.exit_code == 0, result.output
    narrowed = json.loads((out / "manifest.json").read_text())["narrowed"]
    assert narrowed == [{"since": since, "since_utc": "2026-11-20T00:00:00+00:00"}]


@pytest.mark.parametrize(("until", "ago"), [("1d", timedelta(days=1)), ("1w", timedelta(days=7))])
def test_report_counts_durations_back_from_the_newest_event(runner, tmp_path, until, ago):
    out = tmp_path / "report"
    result = runner.invoke(main, ["report", str(SAMPLES), "--out", str(out), "--until", until])
    assert result.exit_code == 0, result.output
    narrowed = json.loads((out / "manifest.json").read_text())["narrowed"]
    assert narrowed[0]["until_utc"] == (NEWEST - ago).isoformat()


@pytest.mark.parametrize("since", NOV_20_FORMS[:12:2])
def test_fetch_reads_each_spelling(graph, graph_url, runner, tmp_path, since) -> None:
    graph.expected_filter = (
        "activityDateTime gt 2026-11-20T00:00:00Z and activityDateTime lt 2026-11-21T00:00:00Z"
    )
    args = ["fetch", "--since", since, "--until", "2026-11-21", "--out", str(tmp_path / "o")]
    env = {"PROVLYTICS_TOKEN": TOKEN, "PROVLYTICS_GRAPH_URL": graph_url}
    result = runner.invoke(main, args, env=env)
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize(
    ("since", "ago"), [("2d", timedelta(days=2)), ("36h", timedelta(hours=36))]
)
def test_fetch_counts_durations_back_from_now(
    graph, graph_url, httpserver, runner, tmp_path, since, ago
) -> None:
    env = {"PROVLYTICS_TOKEN": TOKEN, "PROVLYTICS_GRAPH_URL": graph_url}
    before = datetime.now(UTC)
    args = ["fetch", "--since", since, "--out", str(tmp_path / "out")]
    result = runner.invoke(main, args, env=env)
    assert result.exit_code == 0, result.output
    sent = _first_filter(httpserver).split(" and ")[0].removeprefix("activityDateTime gt ")
    start = datetime.fromisoformat(sent)
    assert before - ago - timedelta(seconds=1) <= start <= datetime.now(UTC) - ago


@pytest.mark.parametrize("command", ["report", "fetch"])
@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--until", "last tuesday"], "--until 'last tuesday' is not a date, a time or a duration"),
        (["--since", "7 fortnights"], "--since '7 fortnights' is not a duration such as '7d'"),
        (
            ["--since", "2026-11-20T05:00", "--until", "2026-11-20"],
            "--since '2026-11-20T05:00' (2026-11-20 05:00:00 UTC) is after --until '2026-11-20' "
            "(2026-11-20 00:00:00 UTC): no event can be in that window (swap them?)",
        ),
        (["--since", "05/11/2026"], "--since '05/11/2026' could be 2026-11-05 or 2026-05-11"),
        (["--since", "1M"], f"--since '1M' is not read: 'M' is a month to some {MINUTE_HINT}"),
        (["--until", "2 months"], "--until '2 months' is not read: a month has no fixed length"),
        (["--since", "today"], f"--since 'today' {DAY_WORD_HINT}"),
        (["--until", "yesterday"], f"--until 'yesterday' {DAY_WORD_HINT}"),
        (
            ["--since", "2026/11/20", "--until", "Nov 20 2026"],
            "--since '2026/11/20' (2026-11-20 00:00:00 UTC) is the same time as --until "
            "'Nov 20 2026' (2026-11-20 00:00:00 UTC): no event can be in that window",
        ),
    ],
)
def test_a_bad_time_is_a_usage_error_naming_the_option(runner, tmp_path, command, args, said):
    out = tmp_path / "out"
    inputs = [str(SAMPLES)] if command == "report" else []
    result = runner.invoke(main, [command, *inputs, *args, "--out", str(out)], env={})
    assert result.exit_code == 2, result.output
    assert result.output.startswith(f"Error: {said}")
    assert len(result.output.splitlines()) == 1  # no traceback
    assert not out.exists()


def test_report_judges_a_duration_against_the_newest_event(runner, tmp_path) -> None:
    out = tmp_path / "out"
    args = ["report", str(SAMPLES), "--out", str(out), "--since", "2026-11-22", "--until", "2d"]
    result = runner.invoke(main, args)
    assert result.exit_code == 2, result.output
    assert result.output == (
        "Error: --since '2026-11-22' (2026-11-22 00:00:00 UTC) is after --until '2d' "
        "(2026-11-20 23:51:43 UTC): no event can be in that window (swap them?)\n"
    )
    assert not out.exists()
