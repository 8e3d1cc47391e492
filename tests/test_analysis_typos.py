"""Values that match nothing, or more than the user meant, warn (a `UserWarning` at the
caller's line, naming the value and the closest values present) instead of giving a silently
empty or mixed answer: `filter_frames`, `attribute_changes`, `identity_history`."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

import provlytics as pv

A = pv.analysis
SLACK_JOB = "slack.f38b2ffc80a44f5a91c9bc701e7ea419.59001ac9-4063-49bc-a5b0-0a2d35d14880"
MONICA_UPNS = (
    "monica.muller2@contoso.com, monica.muller38@contoso.com, monica.muller5@contoso.com, "
    "monica.muller@contoso.com"
)


@pytest.fixture(scope="module")
def snapshot(samples: pv.ProvisioningFrames, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("typos") / "snapshot"
    samples.to_parquet(folder)
    return folder


def messages(caught: list[warnings.WarningMessage]) -> list[str]:
    assert all(w.filename == __file__ for w in caught)  # points at the caller's line
    return [str(w.message) for w in caught]


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        (
            {"target_system": "Salesfroce"},
            "target_system 'Salesfroce' is not present in this data; "
            "closest present: Salesforce, ServiceNow, Slack",
        ),
        ({"job_id": "nosuchjob"}, "job_id 'nosuchjob' is not present in this data"),
        (
            {"service_principal": ["Slak", "salesforce"]},
            "service_principal 'Slak' is not present in this data; closest present: Slack",
        ),
    ],
)
def test_filter_frames_warns_of_a_value_no_event_has(samples, options, expected):
    with pytest.warns(UserWarning) as caught:
        out = A.filter_frames(samples, **options)
    assert messages(caught) == [expected]
    kept = 0 if "Slak" not in str(options) else 513  # the Salesforce app's events
    assert len(out.events) == kept


def test_filter_frames_present_values_any_case_do_not_warn(samples):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = A.filter_frames(samples, job_id=SLACK_JOB.upper(), target_system="slack")
    assert len(out.events) == 383


def test_attribute_changes_warns_of_an_attribute_never_changed(samples):
    with pytest.warns(UserWarning) as caught:
        out = A.attribute_changes(samples, "departmnet")
    assert out.empty
    assert messages(caught) == [
        "attribute 'departmnet' is not present in this data; "
        "closest present: department, displayName, Username"
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert len(A.attribute_changes(samples, " Department ")) == 707


def test_attribute_changes_wants_text(samples):
    with pytest.raises(pv.ConfigError) as caught:
        A.attribute_changes(samples, 3)
    assert str(caught.value) == (
        "attribute_changes(attribute=...): got 3 (int); takes an attribute name as text, or None"
    )


@pytest.mark.parametrize("where", ["frames", "snapshot"])
def test_a_shared_display_name_warns_how_many_identities(samples, snapshot, where):
    source = samples if where == "frames" else str(snapshot)
    with pytest.warns(UserWarning) as caught:
        history = A.identity_history(source, "Mónica Müller")
    assert len(history.events) == 23
    assert messages(caught) == [
        f"identity_history: 'Mónica Müller' matches 4 distinct identities (UPNs: {MONICA_UPNS}); "
        "pass the UPN or object id to narrow it to one"
    ]


@pytest.mark.parametrize("where", ["frames", "snapshot"])
@pytest.mark.parametrize(
    "who",
    [
        "monica.muller5@contoso.com",
        "d73f213d-a048-4e8c-8719-2c7d33ba490f",
        "D73F213DA0484E8C87192C7D33BA490F",
        " d73f213da0484e8c87192c7d33ba490f ",
    ],
)
def test_object_ids_match_with_or_without_dashes(samples, snapshot, where, who):
    source = samples if where == "frames" else str(snapshot)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # one identity: no warning
        history = A.identity_history(source, who)
    assert len(history.events) == 6
    assert history.apps["service_principal_name"].tolist() == [
        "Salesforce",
        "Workday to Active Directory User Provisioning",
        "ServiceNow",
        "Contoso Expenses (SCIM)",
    ]


JOBS = [
    f"app{i}.f38b2ffc80a44f5a91c9bc701e7ea419.{i}d7e0a2c-1b2f-4c5d-9e8f-0a1b2c3d4e5f"
    for i in range(6)
]
APPS = {job: f"App {i}" for i, job in enumerate(JOBS)}


def test_an_absent_value_is_said_with_the_closest_few_and_their_labels():
    from provlytics.analysis.notices import absent_message

    typo = JOBS[4][:-1]
    said = absent_message("--job", typo, JOBS, labels=APPS, where="in the inputs")
    assert said.startswith(
        f"--job {typo!r} is not present in the inputs; closest: {JOBS[4]} (App 4), "
    )
    assert said.endswith(" (of 6 present)")
    assert said.count("f38b2ffc80a44f5a91c9bc701e7ea419") == 4  # the typo and 3 closest


OTHER = "other.f38b2ffc80a44f5a91c9bc701e7ea419.1"  # another template, of the same app


@pytest.mark.parametrize(
    ("value", "named"),
    [
        ("app2", f"{JOBS[2]} (App 2), app2.second (App 2)"),  # the id's part before its "."
        ("APP2", f"{JOBS[2]} (App 2), app2.second (App 2)"),
        ("App 2", f"{JOBS[2]} (App 2), app2.second (App 2), {OTHER} (App 2)"),  # its app
        ("app 2 ", f"{JOBS[2]} (App 2), app2.second (App 2), {OTHER} (App 2)"),
    ],
)
def test_a_template_or_app_names_its_jobs_first(value, named):
    from provlytics.analysis.notices import absent_message

    jobs = [*JOBS, OTHER, "app2.second"]
    apps = {**APPS, "app2.second": "App 2", OTHER: "App 2"}
    said = absent_message("--job", value, jobs, labels=apps)
    assert said == f"--job {value!r} is not present here; closest: {named} (of 8 present)"


def test_a_template_names_its_job_without_labels():
    from provlytics.analysis.notices import absent_message

    assert absent_message("Job", "app5", JOBS) == (
        f"Job 'app5' is not present here; closest: {JOBS[5]} (of 6 present)"
    )
    assert absent_message("Job", "Slack", [f"slack.{i}" for i in range(5)]) == (
        "Job 'Slack' is not present here; closest: slack.0, slack.1, slack.2 (of 5 present)"
    )  # never more than three
    assert absent_message("Job", " ", JOBS).startswith("Job ' ' is not present here; present: ")


def test_an_absent_value_close_to_none_is_said_with_the_apps_not_every_value():
    from provlytics.analysis.notices import absent_message

    assert absent_message("--job", "nosuchjob", JOBS, labels=APPS) == (
        "--job 'nosuchjob' is not present here; none of the 6 present is close; their apps: "
        "App 0, App 1, App 2, App 3, App 4, App 5"
    )
    assert absent_message("Job", "nosuchjob", JOBS) == (
        f"Job 'nosuchjob' is not present here; present: {', '.join(JOBS[:3])}, ... (of 6 present)"
    )
    assert (
        absent_message("Job", "x", [])
        == "Job 'x' is not present here; present: none (of 0 present)"
    )
