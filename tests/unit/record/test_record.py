"""The record: CRediT table, ORCID checksums, round trips, and validation messages."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from pydantic import ValidationError

import repro
from repro.record import (
    CREDIT_ROLES,
    MIGRATIONS,
    SCHEMA_VERSION,
    Contributor,
    RecurrentLayer,
    RunRecord,
    SchemaVersionError,
    migrate,
    normalize_orcid,
    resolve_role,
)

ROOT = Path(__file__).resolve().parents[3]
SHARED = ROOT.parent / "shared"
EXAMPLE = ROOT / "examples" / "records" / "lstm-adding.yaml"


def test_credit_roles_match_the_official_table() -> None:
    with (SHARED / "data" / "credit-roles.csv").open(encoding="utf-8") as handle:
        official = [(row["slug"], row["name"], row["uri"]) for row in csv.DictReader(handle)]
    assert [(r.slug, r.name, r.uri) for r in CREDIT_ROLES] == official
    assert len(CREDIT_ROLES) == 14


def test_writing_roles_use_an_en_dash() -> None:
    names = {r.slug: r.name for r in CREDIT_ROLES}
    assert names["writing-original-draft"] == "Writing \u2013 original draft"
    assert names["writing-review-editing"] == "Writing \u2013 review & editing"


@pytest.mark.parametrize(
    "spelling",
    [
        "writing-review-editing",
        "Writing – review & editing",
        "writing - review and editing",
        "WRITING—REVIEW & EDITING",
        "https://credit.niso.org/contributor-roles/writing-review-editing/",
        "http://credit.niso.org/contributor-roles/writing-review-editing",
    ],
)
def test_role_spellings_resolve_to_one_role(spelling: str) -> None:
    assert resolve_role(spelling).slug == "writing-review-editing"


def test_unknown_role_is_rejected_with_the_official_list() -> None:
    with pytest.raises(ValueError, match=r"unknown CRediT role 'Coding'.*Data curation"):
        resolve_role("Coding")


@pytest.mark.parametrize(
    ("given", "canonical"),
    [
        ("0000-0002-1825-0097", "https://orcid.org/0000-0002-1825-0097"),
        ("https://orcid.org/0000-0001-5109-3700", "https://orcid.org/0000-0001-5109-3700"),
        ("http://orcid.org/0000-0002-1694-233x", "https://orcid.org/0000-0002-1694-233X"),
        ("0000000218250097", "https://orcid.org/0000-0002-1825-0097"),
    ],
)
def test_valid_orcids_are_stored_in_one_canonical_form(given: str, canonical: str) -> None:
    assert normalize_orcid(given) == canonical


@pytest.mark.parametrize(
    ("bad", "why"),
    [
        ("0000-0002-1825-0098", "checksum"),
        ("0000-0002-1694-2330", "checksum"),
        ("0000-0002-1825-009", "not an ORCID"),
        ("https://example.org/0000-0002-1825-0097", "not an ORCID"),
        ("orcid", "not an ORCID"),
    ],
)
def test_invalid_orcids_are_rejected(bad: str, why: str) -> None:
    with pytest.raises(ValueError, match=why):
        normalize_orcid(bad)


def test_contributor_roles_accept_strings_and_degrees() -> None:
    person = Contributor(
        given_names="Ada",
        family_name="Lovelace",
        roles=["Software", {"role": "formal analysis", "degree": "Lead"}],
    )
    assert [(a.role, a.degree) for a in person.roles] == [
        ("software", None),
        ("formal-analysis", "lead"),
    ]
    assert person.roles[1].credit.uri.endswith("/formal-analysis/")


def test_duplicate_role_is_an_error() -> None:
    with pytest.raises(ValidationError, match="listed twice"):
        Contributor(given_names="A", family_name="B", roles=["software", "Software"])


def test_example_record_round_trips_through_json_and_yaml(tmp_path: Path) -> None:
    record = repro.load_record(EXAMPLE)
    for name in ("r.json", "r.yaml", "r.yml"):
        path = repro.save_record(record, tmp_path / name)
        again = repro.load_record(path)
        assert again == record
        assert again.to_dict() == record.to_dict()
    # unicode is written as text, not escapes
    assert "García-López" in (tmp_path / "r.json").read_text(encoding="utf-8")
    assert "García-López" in (tmp_path / "r.yaml").read_text(encoding="utf-8")


def test_absent_fields_stay_absent() -> None:
    record = RunRecord(run={"name": "minimal"})
    data = record.to_dict()
    assert data == {
        "schema_version": SCHEMA_VERSION,
        "run": {"name": "minimal", "tags": {}, "resumed": []},
        "data": [],
        "results": [],
        "contributors": [],
        "warnings": [],
    }
    assert record.training is None and record.environment is None


def test_zero_values_survive_round_trip(tmp_path: Path) -> None:
    record = RunRecord(
        run={"name": "zeros"},
        training={
            "epochs": 0,
            "dropout": {"between_layers": 0.0},
            "initialisation": {"scheme": "x", "forget_gate_bias": 0.0},
        },
        results=[{"name": "loss", "value": 0.0}],
    )
    again = repro.load_record(repro.save_record(record, tmp_path / "z.json"))
    assert again.training is not None and again.training.epochs == 0
    assert again.training.dropout is not None and again.training.dropout.between_layers == 0.0
    assert again.results[0].value == 0.0


def test_naive_datetimes_are_rejected() -> None:
    with pytest.raises(ValidationError, match="timezone"):
        RunRecord(run={"name": "x", "started": "2026-01-01T00:00:00"})


def test_projection_only_on_lstm() -> None:
    with pytest.raises(ValidationError, match="proj_size is only defined for LSTM"):
        RecurrentLayer(name="g", cell="gru", input_size=3, hidden_size=8, proj_size=4)
    layer = RecurrentLayer(
        name="l", cell="lstm", input_size=3, hidden_size=8, proj_size=4, bidirectional=True
    )
    assert layer.output_size == 8


def test_migration_hook_upgrades_old_versions(monkeypatch: pytest.MonkeyPatch) -> None:
    def from_0_9(data: dict) -> dict:
        data["run"] = {"name": data.pop("name")}
        data["schema_version"] = SCHEMA_VERSION
        return data

    monkeypatch.setitem(MIGRATIONS, "0.9", from_0_9)
    record = RunRecord.model_validate({"schema_version": "0.9", "name": "old"})
    assert record.run.name == "old" and record.schema_version == SCHEMA_VERSION


def test_unknown_schema_version_is_refused() -> None:
    with pytest.raises(SchemaVersionError, match=r"'7\.0' is not one this repro reads"):
        migrate({"schema_version": "7.0", "run": {"name": "x"}})


def test_json_schema_is_pydantics_own() -> None:
    from repro.files.schema import json_schema_text

    schema = json.loads(json_schema_text())
    assert schema["title"] == "RunRecord"
    assert schema["additionalProperties"] is False
    assert {
        "run",
        "architecture",
        "training",
        "data",
        "environment",
        "provenance",
        "results",
        "diagnostics",
        "contributors",
        "card",
    } <= set(schema["properties"])


def test_record_as_contributors_document() -> None:
    record = repro.load_record(EXAMPLE)
    people = record.to_contributors("example")
    assert people.title == record.title == "LSTM baseline for the adding problem"
    assert [c.family_name for c in people.contributors] == ["Carberry", "García-López"]
    bare = RunRecord(run={"name": "no-authors"})
    assert bare.title == "no-authors"
    with pytest.raises(ValueError, match=r"bare\.yaml: contributors: the record"):
        bare.to_contributors("bare.yaml")


def test_schema_1_0_files_keep_loading() -> None:
    """A record written by repro's first schema loads, upgraded to the current version."""
    from repro.files.records import load_record

    record = load_record(ROOT / "tests" / "data" / "records-1.0" / "lstm-adding.yaml")
    assert record.schema_version == SCHEMA_VERSION == "2.0"
    assert record.run.name
