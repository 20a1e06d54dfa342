"""A paper's group of runs: n, spread and search budget computed from the runs; run-level items
still judged on each run; a baseline fails a metric only beyond run-to-run noise."""

from __future__ import annotations

import copy

from support.checks import group_data, records

import repro


def test_the_group_answers_what_single_runs_cannot() -> None:
    runs = records(group_data(3))
    one_by_one = repro.check(runs, "ml-reproducibility")
    assert {f.requirement.id for f in one_by_one.warnings} == {"results.runs", "results.spread"}
    grouped = repro.check(runs, "ml-reproducibility", group=True)
    assert grouped.passed and not grouped.findings
    facts = grouped.group
    mse = next(r for r in facts.results if r["name"] == "mse")
    assert mse["n"] == 3 and mse["std"] > 0
    assert facts.search_budget == 6 and "trials" in facts.search_budget_source
    text = repro.render(grouped, "check-text")
    assert "group of 3 runs: mse (test): n=3" in text
    assert "search budget 6" in text


def test_run_level_items_still_apply_to_each_run_in_a_group() -> None:
    datas = group_data(3)
    del datas[1]["training"]["optimizer"]
    report = repro.check(records(datas), "ml-reproducibility", group=True)
    (finding, *more) = [f for f in report.errors if f.requirement.id == "training.optimizer"]
    assert not more and finding.record == "lstm-adding-seed1"


def test_a_group_of_one_has_no_spread_and_the_budget_comes_from_the_runs() -> None:
    (data,) = group_data(1)
    report = repro.check(records([data]), "neurips", group="paper")
    ids = {f.requirement.id for f in report.findings if f.record == "paper"}
    assert ids == {"neurips.7.runs", "neurips.7.spread"}
    datas = group_data(2)
    for d, hidden in zip(datas, (64, 128), strict=True):
        del d["training"]["hyperparameter_search"]["trials"]
        d["training"]["hyperparameter_search"]["method"] = "manual"
        d["architecture"]["recurrent_layers"][0]["hidden_size"] = hidden
    facts = repro.check(records(datas), "neurips", group=True).group
    assert facts.search_budget == 2 and "distinct configurations" in facts.search_budget_source


def test_the_paper_s_attestations_must_agree_across_its_runs() -> None:
    datas = group_data(2)
    datas[1]["attestations"]["neurips-7-error-bars"] = {"answer": "yes", "justification": "s4"}
    report = repro.check(records(datas), "neurips", group=True)
    (finding,) = report.errors
    assert finding.record == "group of 2 runs" and "disagree" in finding.detail
    for d in datas[1:]:
        del d["attestations"]
    assert repro.check(records(datas), "neurips", group=True).passed  # one run answers


def shifted(datas: list[dict], by: float) -> list[dict]:
    out = copy.deepcopy(datas)
    for d in out:
        for m in d["results"]:
            m["value"] += by if m["name"] == "mse" else 0
    return out


def test_baseline_fails_only_beyond_run_to_run_noise() -> None:
    base = group_data(3)  # mse spread of about 2e-5 between seeds
    within = repro.check(records(shifted(base, 1e-5)), "minimal", baseline=records(base))
    assert within.passed
    assert {c["name"] for c in within.comparisons} == {"mse", "accuracy"}
    worse = repro.check(records(shifted(base, 1e-3)), "minimal", baseline=records(base))
    (finding,) = worse.errors
    assert finding.requirement.id == "baseline.mse.test" and "worse beyond noise" in finding.detail
    better = repro.check(records(shifted(base, -1e-3)), "minimal", baseline=records(base))
    assert better.passed  # lower mse is better


def test_baseline_without_any_spread_cannot_judge_and_says_so() -> None:
    (one,) = group_data(1)
    report = repro.check(records([one]), "minimal", baseline=records([copy.deepcopy(one)]))
    assert report.passed  # a warning: no noise known, nothing to fail on
    assert {f.requirement.id for f in report.warnings} == {
        "baseline.mse.test",
        "baseline.accuracy.test",
    }
    assert "cannot be judged" in report.warnings[0].detail
