"""Consistency beyond presence, contributor rules and attestations: each flagged where it
should be and nowhere else."""

from __future__ import annotations

import pytest
from pydantic import ValidationError
from support.checks import complete_data

import repro
from repro.checks.engine import check_data
from repro.checks.profiles import load_profile
from repro.record.paths import path_of


def found(data: dict, profile: str, req_id: str, history: set[str] | None = None) -> list[str]:
    """The locations of ``req_id``'s findings on ``data``."""
    findings = check_data(data, load_profile(profile), "r", history=history)
    return [path_of(f.location) for f in findings if f.requirement.id == req_id]


def test_per_seed_values_must_number_n() -> None:
    data = complete_data()
    data["results"][0].update(value=0.002, per_seed={0: 0.001, 1: 0.003}, n=3)
    assert found(data, "minimal", "consistency.per-seed-count") == ["results[0].n"]
    data["results"][0]["n"] = 2
    assert found(data, "minimal", "consistency.per-seed-count") == []


def test_an_aggregate_must_be_recomputable_from_its_per_seed_values() -> None:
    data = complete_data()
    data["results"][0].update(value=0.002, per_seed={0: 0.001, 1: 0.003}, n=2, std=0.0014142)
    assert found(data, "minimal", "consistency.aggregate") == []  # rounded std is fine
    data["results"][0].update(value=0.0025, std=0.01, ci={"low": 0.0026, "high": 0.003})
    locations = found(data, "minimal", "consistency.aggregate")
    assert locations == ["results[0].value", "results[0].std", "results[0].ci"]


def test_deterministic_mode_with_cudnn_benchmark_is_flagged() -> None:
    data = complete_data()
    assert found(data, "minimal", "consistency.determinism") == []
    data["environment"]["determinism"]["cudnn_benchmark"] = True
    assert found(data, "minimal", "consistency.determinism") == [
        "environment.determinism.cudnn_benchmark"
    ]
    data["environment"]["determinism"]["use_deterministic_algorithms"] = False
    assert found(data, "minimal", "consistency.determinism") == []  # no determinism claimed


def test_dropout_without_a_named_variant_is_flagged() -> None:
    data = complete_data()
    assert found(data, "rnn", "rnn.dropout-variant") == []  # training.dropout names it
    del data["training"]["dropout"]
    assert found(data, "rnn", "rnn.dropout-variant") == ["architecture.recurrent_layers[0].dropout"]
    data["architecture"]["recurrent_layers"][0]["dropout"] = 0.0
    assert found(data, "rnn", "rnn.dropout-variant") == []  # no dropout: nothing to name


def test_a_dirty_tree_is_flagged_as_a_warning() -> None:
    data = complete_data()
    data["provenance"]["git"]["dirty"] = True
    report = repro.check(repro.RunRecord.model_validate(data), "minimal")
    (finding,) = report.findings
    assert finding.requirement.id == "consistency.clean-tree" and finding.severity == "warning"
    assert path_of(finding.location) == "provenance.git.dirty"


def test_results_must_name_metrics_the_run_logged() -> None:
    data = complete_data()  # results: mse and accuracy on test
    assert found(data, "minimal", "consistency.results-logged") == []  # no history: not judged
    logged = {"train/loss", "val/mse", "val/accuracy", "results/test/bleu"}
    assert found(data, "minimal", "consistency.results-logged", logged) == []
    data["results"].append({"name": "bleu", "value": 1.0, "split": "test"})
    # repro's own results/ copies are no evidence the run measured it
    assert found(data, "minimal", "consistency.results-logged", logged) == ["results[2].name"]


def test_exactly_one_corresponding_author() -> None:
    data = complete_data()
    assert found(data, "credit", "credit.corresponding") == []
    data["contributors"][1]["corresponding"] = True
    assert found(data, "credit", "credit.corresponding") == ["contributors[1].corresponding"]
    for person in data["contributors"]:
        person["corresponding"] = False
    assert found(data, "credit", "credit.corresponding") == ["contributors"]


def test_degrees_only_where_a_role_is_shared() -> None:
    data = complete_data()
    data["contributors"][0]["roles"] = [{"role": "software"}]
    data["contributors"][1]["roles"] = [{"role": "formal-analysis"}]
    assert found(data, "credit", "credit.degrees") == []
    data["contributors"][0]["roles"].append({"role": "formal-analysis", "degree": "lead"})
    data["contributors"][1]["roles"][0]["degree"] = "supporting"
    assert found(data, "credit", "credit.degrees") == []  # shared: the degrees say how
    data["contributors"][0]["roles"][0]["degree"] = "lead"
    assert found(data, "credit", "credit.degrees") == ["contributors[0].roles[0].degree"]


def test_orcid_check_digits_are_verified() -> None:
    data = complete_data()
    assert found(data, "credit", "credit.orcid") == []
    data["contributors"][1]["orcid"] = "https://orcid.org/0000-0002-1694-2330"  # wrong digit
    assert found(data, "credit", "credit.orcid") == ["contributors[1].orcid"]
    with pytest.raises(ValidationError):  # a record file with it does not even load
        repro.RunRecord.model_validate(data)


@pytest.mark.parametrize(
    ("attestation", "fails"),
    [
        ({"answer": "no", "justification": "One seed only; see section 4."}, False),
        ({"answer": "n/a", "justification": "No error bars: a single deterministic run."}, False),
        ({"answer": "yes"}, True),
        ({"answer": "yes", "justification": "  "}, True),
        (None, True),
    ],
)
def test_attestations_fail_on_a_missing_answer_or_justification_not_on_no(
    attestation: dict | None, fails: bool
) -> None:
    data = complete_data()
    if attestation is None:
        del data["attestations"]["neurips-7-error-bars"]
    else:
        data["attestations"]["neurips-7-error-bars"] = attestation
    report = repro.check(repro.RunRecord.model_validate(data), "neurips")
    ids = {f.requirement.id for f in report.errors}
    assert ("neurips.7.error-bars" in ids) is fails
    assert report.passed is not fails


def test_attestation_answers_read_yaml_booleans_and_keys_are_path_steps() -> None:
    record = repro.RunRecord.model_validate(
        {"run": {"name": "r"}, "attestations": {"a-1": {"answer": False, "justification": "x"}}}
    )
    assert record.attestations["a-1"].answer == "no"
    with pytest.raises(ValidationError, match="attestations"):
        repro.RunRecord.model_validate(
            {"run": {"name": "r"}, "attestations": {"a.1": {"answer": "yes"}}}
        )
    with pytest.raises(ValidationError, match="answer"):
        repro.RunRecord.model_validate(
            {"run": {"name": "r"}, "attestations": {"a": {"answer": "maybe"}}}
        )
