"""Pseudonymization: personal values become keyed tokens, the same in every table and inside
texts; counts and joins survive; the key lands nowhere. A hand-built case with exact rows,
then the bundled samples (every string cell scanned)."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest

import provlytics as pv
from provlytics.normalize.batch import Reject
from provlytics.privacy import attribute_key, pseudonymize
from provlytics.schema import SCHEMAS

SAMPLES = Path(__file__).resolve().parent.parent / "data" / "samples"
KEY = b"correct horse battery staple"
OTHER_KEY = "another key, also long enough"
ANA_ID = "1A2B3C4D-AAAA-4BBB-8CCC-000000000001"  # upper case here, lower case in step details
LI_ID = "22222222-bbbb-4ccc-8ddd-000000000002"
ADMIN_ID = "33333333-cccc-4ddd-8eee-000000000003"
T0 = datetime(2026, 11, 18, 9, 0, tzinfo=UTC)


def tok(value: str, key: bytes = KEY) -> str:
    """The token the module must produce, computed independently."""
    return "anon-" + hmac.new(key, value.encode(), hashlib.sha256).hexdigest()[:16]


def build(rows: dict[str, list[dict]], rejects: list[Reject] = ()) -> pv.ProvisioningFrames:
    tables = {n: pa.Table.from_pylist(r, schema=SCHEMAS[n]) for n, r in rows.items()}
    return pv.ProvisioningFrames(tables, rejects=rejects, records_read=3)


def event(event_id: str, **values) -> dict:
    base = {"event_id": event_id, "activity_time": T0, "job_id": "scim.t.j1", "action": "create"}
    return base | {"cycle_id": "c1", "change_id": f"ch-{event_id}", **values}


ANA = {
    "source_id": ANA_ID,
    "source_name": "Ana Brown",
    "target_id": "005ABCdef",
    "target_name": "Ana Brown",
    "source_type": "User",
}
REASON = (
    "The user 'ana.brown@contoso.com' conflicts with 'Ana.Brown@corp.contoso.com' (target id "
    "'005ABCdef'). Ana Brown exists; the Analysis team was told. Li Wei too."
)
LI = {"source_id": LI_ID, "source_name": "Li Wei", "target_id": "li-77", "target_name": "Li Wei"}


@pytest.fixture
def tiny() -> pv.ProvisioningFrames:
    """Ana Brown (two events, her UPN in two spellings), Li Wei (initiated by an admin)."""
    failed = {"status": "failure", "error_code": "EntryConflict", "error_reason": REASON}
    events = [
        event("e1", **ANA, **failed, reportable_identifier="Ana.Brown@contoso.com",
              initiated_by_name="Azure AD Provisioning Service", initiated_by_type="system",
              extra='{"sourceIdentity.details":{"WorkerID":"76545","DisplayName":"Ana Brown"},'
              '"Level":4}'),
        event("e2", **ANA, status="success", reportable_identifier="ana.brown@contoso.com"),
        event("e3", **LI, status="failure", error_code="InvalidAnchor",
              error_reason="Li Wei has no anchor", reportable_identifier="li.wei@contoso.com",
              initiated_by_id=ADMIN_ID, initiated_by_name="Admin Person",
              initiated_by_type="user"),
    ]  # fmt: skip
    errors = [
        {k: v for k, v in e.items() if k in SCHEMAS["errors"].names}
        | {"failed_step_description": f"Failed for '{e['reportable_identifier']}'"}
        for e in events
        if e["status"] == "failure"
    ]
    details = json.dumps(
        {"id": ANA_ID.lower(), "displayName": "Ana Brown", "SkipReason": "NotEffectivelyEntitled"},
        separators=(",", ":"),
    )
    steps = [
        {"event_id": "e1", "step_index": 0, "name": "EntryImportAdd", "step_type": "import",
         "status": "success", "details": details,
         "description": "Received User 'ANA.BROWN@contoso.com' change of type (Add) from Workday"},
        {"event_id": "e3", "step_index": 0, "name": "EntryExportAdd", "step_type": "export",
         "status": "failure", "description": "User 'Li Wei' failed", "details": "not json: Li Wei"},
    ]  # fmt: skip
    props = [
        ("e1", "displayName", None, "Ana Brown"),
        ("e1", "department", "Analysis", "Ana Brown"),  # not personal: kept, even a name
        ("e1", 'emails[type eq "work"].value', "", "ana.brown@contoso.com"),
        ("e1", "name.givenName", None, "Ana"),
        ("e1", "accountEnabled", "False", "True"),
        ("e3", "members", None, f'["{ANA_ID}","{LI_ID}"]'),
        ("e3", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber",
         None, "76545"),
    ]  # fmt: skip
    properties = [
        {"event_id": e, "property_index": i, "name": n, "old_value": o, "new_value": v}
        for i, (e, n, o, v) in enumerate(props)
    ]
    jobs = [
        {"observed_time": T0, "service_principal_id": "sp1", "job_id": "scim.t.j1",
         "last_error_code": "Export", "last_error_message": "Export failed for li.wei@contoso.com",
         "extra": '{"status.lastSuccessfulExecution.error.message":"Export failed for Li Wei"}'}
    ]  # fmt: skip
    reject = Reject("page.json:3", "activityDateTime", "not a time: 'li.wei@contoso.com'", "{..}")
    tables = {"events": events, "steps": steps, "modified_properties": properties}
    return build(tables | {"errors": errors, "job_status": jobs}, [reject])


def test_identity_columns_get_one_token_per_person_in_every_table(tiny):
    safe = tiny.pseudonymize(KEY)

    ana_upn, li_upn = tok("ana.brown@contoso.com"), tok("li.wei@contoso.com")
    events = safe.events
    assert events["reportable_identifier"].tolist() == [ana_upn, ana_upn, li_upn]
    assert events["source_id"].tolist() == [tok(ANA_ID.lower())] * 2 + [tok(LI_ID)]
    assert events["source_name"].tolist() == [tok("Ana Brown")] * 2 + [tok("Li Wei")]
    assert events["target_id"].tolist() == [tok("005ABCdef")] * 2 + [tok("li-77")]
    errors = safe.errors
    assert errors["reportable_identifier"].tolist() == [ana_upn, li_upn]
    assert errors["source_id"].tolist() == [tok(ANA_ID.lower()), tok(LI_ID)]
    assert errors["target_name"].tolist() == [tok("Ana Brown"), tok("Li Wei")]
    assert errors["failed_step_description"].tolist() == [
        f"Failed for '{ana_upn}'",
        f"Failed for '{li_upn}'",
    ]


def test_initiator_is_replaced_only_when_not_a_machine(tiny):
    events = tiny.pseudonymize(KEY).events

    assert events["initiated_by_name"].tolist()[::2] == [
        "Azure AD Provisioning Service",
        tok("Admin Person"),
    ]
    assert events["initiated_by_id"].tolist()[2] == tok(ADMIN_ID)


def test_reasons_get_the_same_tokens_and_keep_their_other_words(tiny):
    safe = tiny.pseudonymize(KEY)

    assert safe.events["error_reason"].tolist()[0] == (
        f"The user '{tok('ana.brown@contoso.com')}' conflicts with "
        f"'{tok('ana.brown@corp.contoso.com')}' (target id '{tok('005ABCdef')}'). "
        f"{tok('Ana Brown')} exists; the Analysis team was told. {tok('Li Wei')} too."
    )
    assert safe.errors["error_reason"].tolist()[0] == safe.events["error_reason"].tolist()[0]
    assert safe.steps["description"].tolist() == [
        f"Received User '{tok('ana.brown@contoso.com')}' change of type (Add) from Workday",
        f"User '{tok('Li Wei')}' failed",
    ]
    assert safe.job_status["last_error_message"].tolist() == [
        f"Export failed for {tok('li.wei@contoso.com')}"
    ]
    assert json.loads(safe.job_status["extra"].iloc[0]) == {
        "status.lastSuccessfulExecution.error.message": f"Export failed for {tok('Li Wei')}"
    }


def test_json_columns_replace_personal_keys_and_known_values(tiny):
    safe = tiny.pseudonymize(KEY)

    assert json.loads(safe.events["extra"].tolist()[0]) == {
        "sourceIdentity.details": {"WorkerID": tok("76545"), "DisplayName": tok("Ana Brown")},
        "Level": 4,
    }
    assert json.loads(safe.steps["details"].tolist()[0]) == {
        "id": tok(ANA_ID.lower()),  # the GUID of events.source_id, in lower case
        "displayName": tok("Ana Brown"),
        "SkipReason": "NotEffectivelyEntitled",
    }
    assert safe.steps["details"].tolist()[1] == f"not json: {tok('Li Wei')}"


def test_personal_attributes_are_replaced_and_others_kept(tiny):
    props = tiny.pseudonymize(KEY).modified_properties

    assert props[["old_value", "new_value"]].astype(object).values.tolist() == [
        [pd.NA, tok("Ana Brown")],
        ["Analysis", "Ana Brown"],
        ["", tok("ana.brown@contoso.com")],  # cleared stays cleared
        [pd.NA, tok("Ana")],
        ["False", "True"],
        [pd.NA, json.dumps([tok(ANA_ID.lower()), tok(LI_ID)], separators=(",", ":"))],
        [pd.NA, tok("76545")],
    ]


def test_known_values_sharing_a_prefix_are_replaced_whole_and_longest_first():
    names = ["Ana", "Ana Brown", "Anabel", "Jo (Contractor)", "O'Neil"]
    reason = "Ana Brown, Anabel and Ana met Jo (Contractor) and O'Neil's team; Anastasia not."
    events = [
        event(f"e{i}", source_name=n, status="failure", error_reason=reason)
        for i, n in enumerate(names)
    ]
    note = {"note": "line one\nAna Brown left", "Level": 4}
    steps = [{"event_id": "e0", "step_index": 0, "details": json.dumps(note)}]
    frames = build({"events": events, "steps": steps})

    safe = frames.pseudonymize(KEY)

    assert safe.events["error_reason"].tolist()[0] == (
        f"{tok('Ana Brown')}, {tok('Anabel')} and {tok('Ana')} met {tok('Jo (Contractor)')} "
        f"and {tok(names[4])}'s team; Anastasia not."
    )
    assert json.loads(safe.steps["details"].tolist()[0]) == {
        "note": f"line one\n{tok('Ana Brown')} left",
        "Level": 4,
    }


def test_a_long_run_without_an_at_sign_takes_linear_time():
    blob = "A" * 50_000  # an e-mail pattern tried at every position of it takes ~25 s
    steps = [{"event_id": "e0", "step_index": 0, "description": f"{blob} ana@contoso.com"}]
    frames = build({"events": [event("e0", status="success")], "steps": steps})

    started = time.perf_counter()
    safe = frames.pseudonymize(KEY)

    assert time.perf_counter() - started < 2
    assert safe.steps["description"].tolist() == [f"{blob} {tok('ana@contoso.com')}"]


def test_empty_frames_stay_empty():
    safe = pv.ProvisioningFrames().pseudonymize(KEY)

    assert safe.counts() == dict.fromkeys(SCHEMAS, 0)
    assert safe.pseudonymized["method"] == "HMAC-SHA256"
    assert safe.table("errors").schema == SCHEMAS["errors"]


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ('emails[type eq "work"].value', "emails"),
        ("name.givenName", "name"),
        ("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager", "manager"),
        ("first_name", "firstname"),
        ("UserPrincipalName", "userprincipalname"),
        ("accountEnabled", "accountenabled"),
    ],
)
def test_attribute_names_compare_in_one_spelling(name, key):
    assert attribute_key(name) == key


def test_non_personal_columns_and_row_counts_are_unchanged(tiny):
    safe = tiny.pseudonymize(KEY)

    touched = set(safe.pseudonymized["columns"])
    for name in ("events", "steps", "modified_properties", "errors", "job_status"):
        before, after = tiny.table(name), safe.table(name)
        assert after.schema == before.schema
        kept = [c for c in before.column_names if f"{name}.{c}" not in touched]
        assert after.select(kept).equals(before.select(kept)), name
    assert safe.counts() == tiny.counts()
    assert "errors.reportable_identifier" in touched
    assert "events.status" not in touched


def test_extra_attributes_can_be_declared_personal(tiny):
    props = pseudonymize(tiny, KEY, attributes=["department"]).modified_properties

    assert props["new_value"].tolist()[1] == tok("Ana Brown")
    assert props["old_value"].tolist()[1] == tok("Analysis")


def test_a_different_key_gives_different_tokens_and_the_same_key_the_same(tiny):
    first, again = tiny.pseudonymize(KEY), tiny.pseudonymize(KEY.decode())
    other = tiny.pseudonymize(OTHER_KEY)

    assert first.events["source_id"].tolist() == again.events["source_id"].tolist()
    mine, theirs = set(first.events["source_id"]), set(other.events["source_id"])
    assert len(mine) == 2
    assert mine.isdisjoint(theirs)
    assert other.events["source_id"].tolist()[2] == tok(LI_ID, OTHER_KEY.encode())


def test_pseudonymizing_twice_changes_nothing(tiny):
    once = tiny.pseudonymize(KEY)
    twice = once.pseudonymize(KEY)

    for name in ("events", "steps", "modified_properties", "errors", "job_status"):
        assert twice.table(name).equals(once.table(name)), name


@pytest.mark.parametrize("key", ["short", b"15 bytes only!!", "ñññññññ"])  # 14 bytes in UTF-8
def test_a_short_key_is_a_config_error_that_does_not_echo_it(tiny, key):
    with pytest.raises(pv.ConfigError, match="at least 16 bytes") as caught:
        tiny.pseudonymize(key)

    shown = key if isinstance(key, str) else key.decode()
    assert shown not in str(caught.value)
    assert "PROVLYTICS_PSEUDONYMIZE_KEY" in str(caught.value)


def test_the_key_is_in_no_repr_attribute_or_log_line(tiny, caplog):
    with caplog.at_level(logging.DEBUG, logger="provlytics"):
        safe = tiny.pseudonymize(KEY)

    text = repr(safe) + json.dumps(safe.pseudonymized) + caplog.text + repr(vars(safe))
    assert KEY.decode() not in text
    assert safe.pseudonymized["method"] == "HMAC-SHA256"


def test_rejects_keep_where_and_why_but_not_the_record(tiny):
    rejects = tiny.pseudonymize(KEY).rejects

    assert rejects.values.tolist() == [
        ["page.json:3", "activityDateTime", f"not a time: '{tok('li.wei@contoso.com')}'", ""]
    ]


def test_written_dataset_records_pseudonymization_and_holds_no_key(tiny, tmp_path):
    tiny.pseudonymize(KEY).to_parquet(tmp_path / "out")

    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert manifest["pseudonymized"]["method"] == "HMAC-SHA256"
    assert "events.reportable_identifier" in manifest["pseudonymized"]["columns"]
    assert set(manifest["pseudonymized"]) == {
        "method", "token", "lower_cased_before_hashing", "columns", "attributes"
    }  # fmt: skip
    files = [f for f in (tmp_path / "out").rglob("*") if f.is_file()]
    assert len(files) > 5
    for f in files:
        data = f.read_bytes()
        assert KEY not in data, f
        assert b"ana.brown" not in data.lower(), f
    back = pv.read_parquet(tmp_path / "out")
    assert back.pseudonymized == manifest["pseudonymized"]
    assert back.events["reportable_identifier"].tolist()[0] == tok("ana.brown@contoso.com")


def test_pseudonymized_and_clear_rows_never_share_a_dataset(tiny, tmp_path):
    tiny.to_parquet(tmp_path / "clear")
    tiny.pseudonymize(KEY).to_parquet(tmp_path / "safe")

    with pytest.raises(pv.ConfigError, match="is not pseudonymized"):
        tiny.pseudonymize(KEY).to_parquet(tmp_path / "clear")
    with pytest.raises(pv.ConfigError, match="is pseudonymized"):
        tiny.to_parquet(tmp_path / "safe")
    tiny.pseudonymize(KEY).to_parquet(tmp_path / "safe")  # more of the same kind: fine
    assert pv.read_parquet(tmp_path / "safe").counts()["events"] == 3


def test_streamed_clear_rows_are_refused_by_a_pseudonymized_dataset(tiny, tmp_path):
    out = tmp_path / "safe"
    tiny.pseudonymize(KEY).to_parquet(out)
    before = {f: f.read_bytes() for f in out.rglob("*") if f.is_file()}

    with pytest.raises(pv.ConfigError, match="is pseudonymized"):
        pv.load_to_parquet(SAMPLES / "graph-v1", out)

    assert {f: f.read_bytes() for f in out.rglob("*") if f.is_file()} == before
    assert [d.name for d in out.iterdir() if d.name.startswith(".staging")] == []


# --- the bundled samples ---------------------------------------------------------------


@pytest.fixture(scope="module")
def safe_samples(samples) -> pv.ProvisioningFrames:
    return samples.pseudonymize(KEY)


def string_cells(frames: pv.ProvisioningFrames) -> list[str]:
    cells = []
    for name in ("events", "steps", "modified_properties", "errors", "job_status"):
        table = frames.table(name)
        for column in table.column_names:
            if pa.types.is_string(table.schema.field(column).type):
                cells += [v for v in table[column].to_pylist() if v]
    return cells


def test_samples_keep_no_upn_display_name_or_identity_id(samples, safe_samples):
    events = samples.events
    users = events[events["source_type"] == "User"]
    personal = set()
    for column in ("source_name", "target_name", "reportable_identifier", "source_id"):
        personal |= set(users[column].dropna().str.lower())
    personal |= set(events["target_id"].dropna().str.lower())
    assert len(personal) == 2028

    text = "\x00".join(string_cells(safe_samples)).lower()
    survivors = sorted(value for value in personal if value in text)
    assert survivors == []
    assert "@contoso.com" not in text


def test_samples_keep_their_counts(samples, safe_samples):
    for name in ("events", "errors"):
        for column in ("source_id", "target_id", "reportable_identifier", "source_name"):
            before, after = samples.table(name)[column], safe_samples.table(name)[column]
            assert pa.compute.count_distinct(after) == pa.compute.count_distinct(before)
            assert after.null_count == before.null_count
    assert safe_samples.counts() == samples.counts()

    def per_code(frames):
        errors = frames.errors
        return errors.groupby(["error_code", "status"]).agg(
            events=("event_id", "size"), identities=("source_id", "nunique")
        )

    pd.testing.assert_frame_equal(per_code(safe_samples), per_code(samples))
    assert per_code(samples).loc[("EntryConflict", "failure"), "events"] > 0


def quoted_identifiers(frames: pv.ProvisioningFrames) -> tuple[int, int]:
    """How many error reasons and step descriptions quote their event's reportable identifier."""
    events = frames.events.set_index("event_id")["reportable_identifier"]
    errors = frames.errors
    reasons = zip(errors["reportable_identifier"], errors["error_reason"], strict=True)
    steps = frames.steps.merge(events, on="event_id")
    descriptions = zip(steps["reportable_identifier"], steps["description"], strict=True)
    return tuple(
        sum(isinstance(u, str) and f"'{u.lower()}'" in str(text).lower() for u, text in pairs)
        for pairs in (reasons, descriptions)
    )


def test_samples_name_each_person_by_one_token_in_events_errors_and_reasons(samples, safe_samples):
    events = safe_samples.events.set_index("event_id")["reportable_identifier"]
    errors = safe_samples.errors

    assert errors["reportable_identifier"].tolist() == events[errors["event_id"]].tolist()
    assert quoted_identifiers(samples) == (142, 5879)
    assert quoted_identifiers(safe_samples) == (142, 5879)


def test_samples_tokens_differ_under_another_key(samples, safe_samples):
    other = samples.pseudonymize(OTHER_KEY)

    mine = set(safe_samples.events["reportable_identifier"].dropna())
    theirs = set(other.events["reportable_identifier"].dropna())
    assert len(mine) == len(theirs) == 338
    assert mine.isdisjoint(theirs)
