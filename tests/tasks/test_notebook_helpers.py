"""The notebooks' helpers against slow, obvious references: scipy's paired t-test on a tiny
hand-made table, the summary's own rows, the plot reading the margin-sweep frame, and a sweep
object over a store of hand-made runs."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import torch
from scipy import stats as scipy_stats

from hemlab import experiments, stats, tasks
from hemlab.data import dataset_tensors, load_dataset
from hemlab.experiments import ExecutionReport, ResultStore, Sweep
from hemlab.tasks import RunResult
from hemlab.viz import plot_margin_sweep

LABELS = ("ce", "hem", "hem:margin=0.5", "hem:margin=2", "mm")
SEEDS = range(5)


def _value(label: str, seed: int, metric: str) -> float:
    """A made-up value: a loss's level plus seed noise that differs between losses."""
    level = {"ce": 0.80, "hem": 0.78, "hem:margin=0.5": 0.74, "hem:margin=2": 0.79, "mm": 0.70}[label]
    return level + (0.01 if metric == "accuracy" else -0.5) + 0.013 * ((seed * (3 + len(label))) % 5)


@pytest.fixture
def table() -> pd.DataFrame:
    """Task ``t``: five loss labels x five seeds x two metrics on ``clean``, one row each."""
    rows = [{"task": "t", "dataset": "d", "model": "m", "loss": label.split(":")[0], "loss_label": label,
             "seed": seed, "condition": "clean", "metric": metric, "value": _value(label, seed, metric),
             "run_id": f"{label}-{seed}"}
            for label in LABELS for seed in SEEDS for metric in ("accuracy", "ece")]
    return pd.DataFrame(rows)


def _by_seed(table: pd.DataFrame, label: str, metric: str = "accuracy") -> np.ndarray:
    """The reference's own selection: ``label``'s values in seed order."""
    return np.array([_value(label, seed, metric) for seed in SEEDS])


def test_paired_difference_is_scipys_paired_t_test(table):
    row = stats.paired_difference(table, "t", "clean", "accuracy", "hem", "ce", level=0.9)
    subject, comparator = _by_seed(table, "hem"), _by_seed(table, "ce")
    low, high = scipy_stats.ttest_rel(subject, comparator).confidence_interval(0.9)
    assert row["diff_mean"] == pytest.approx((subject - comparator).mean(), abs=1e-12)
    assert (row["diff_ci_low"], row["diff_ci_high"]) == (pytest.approx(low, abs=1e-12), pytest.approx(high, abs=1e-12))
    assert row["n"] == 5 and row["subject_mean"] == pytest.approx(subject.mean())
    assert row["comparator_mean"] == pytest.approx(comparator.mean())


def test_paired_differences_gives_one_row_per_pair_and_pairs_only_shared_seeds(table):
    pairs = [("hem", "ce"), ("mm", "ce"), ("hem", "mm")]
    frame = stats.paired_differences(table, "t", "clean", "accuracy", pairs)
    assert list(frame.columns) == list(stats.PAIRED_COLUMNS) and list(zip(frame["subject"], frame["comparator"])) == pairs
    fewer = table[~((table["loss_label"] == "ce") & (table["seed"] == 4))]
    row = stats.paired_difference(fewer, "t", "clean", "accuracy", "hem", "ce")
    low, high = scipy_stats.ttest_rel(_by_seed(table, "hem")[:4], _by_seed(table, "ce")[:4]).confidence_interval(0.95)
    assert row["n"] == 4 and row["diff_ci_low"] == pytest.approx(low) and row["diff_ci_high"] == pytest.approx(high)


@pytest.mark.parametrize("change, message", [
    ({"subject": "focal"}, "subject: expected a loss label of that cell"),
    ({"comparator": "la"}, "comparator: expected a loss label of that cell"),
    ({"metric": "auroc"}, "table: expected rows of task 't' with metric 'auroc'"),
    ({"level": 95}, r"level: expected a confidence level in \(0, 1\), got 95"),
])
def test_paired_difference_names_the_argument_it_refuses(table, change, message):
    arguments = {"subject": "hem", "comparator": "ce", "metric": "accuracy", **change}
    level = arguments.pop("level", 0.95)
    with pytest.raises(ValueError, match=message):
        stats.paired_difference(table, "t", "clean", arguments["metric"], arguments["subject"],
                                arguments["comparator"], level=level)


def test_margin_sweep_reads_the_summary_rows_and_pairs_each_margin_with_mu_1(table):
    summary = stats.summarize(table)
    frame = stats.margin_sweep(summary, "t", [("clean", "accuracy"), ("clean", "ece")], references=["ce"],
                               table=table, paired_to=1.0)
    assert list(frame.columns) == [*stats.MARGIN_SWEEP_COLUMNS, *stats.PAIRED_TO_COLUMNS]
    first = frame[frame["metric"] == "accuracy"]
    assert list(first["loss_label"]) == ["hem:margin=0.5", "hem", "hem:margin=2", "ce"]
    assert first["margin"].tolist()[:3] == [0.5, 1.0, 2.0] and math.isnan(first["margin"].iloc[3])
    for row in frame.itertuples():
        expected = summary[(summary["loss_label"] == row.loss_label) & (summary["metric"] == row.metric)].iloc[0]
        assert (row.mean, row.ci_low, row.ci_high, row.n) == (expected["mean"], expected["ci_low"],
                                                              expected["ci_high"], expected["n"])
        if row.loss_label in ("hem", "ce"):
            assert math.isnan(row.diff_mean) and math.isnan(row.diff_ci_low)
            continue
        subject, base = _by_seed(table, row.loss_label, row.metric), _by_seed(table, "hem", row.metric)
        low, high = scipy_stats.ttest_rel(subject, base).confidence_interval(0.95)
        assert (row.diff_mean, row.diff_ci_low, row.diff_ci_high) == (
            pytest.approx((subject - base).mean()), pytest.approx(low), pytest.approx(high))


def test_margin_sweep_refuses_what_it_cannot_read(table):
    summary = stats.summarize(table)
    with pytest.raises(ValueError, match="cells: expected a non-empty list"):
        stats.margin_sweep(summary, "t", ("clean", "accuracy"))
    with pytest.raises(ValueError, match="table: paired_to pairs the seeds"):
        stats.margin_sweep(summary, "t", [("clean", "accuracy")], paired_to=1.0)
    with pytest.raises(ValueError, match="paired_to: expected one of HEM's margins"):
        stats.margin_sweep(summary, "t", [("clean", "accuracy")], table=table, paired_to=3.0)
    with pytest.raises(ValueError, match="references: expected loss labels"):
        stats.margin_sweep(summary, "t", [("clean", "accuracy")], references=["la"])


def test_the_margin_sweep_plot_draws_the_frame(table):
    summary = stats.summarize(table)
    frame = stats.margin_sweep(summary, "t", [("clean", "accuracy")], references=["ce"])
    figure = plot_margin_sweep(summary, {"t": ("clean", "accuracy", True)}, tasks=("t",))
    axis = figure.axes[0]
    hem_line = next(container for container in axis.containers if container.get_label() == "hem").lines[0]
    drawn = frame[frame["margin"].notna()]
    assert np.allclose(hem_line.get_xdata(), drawn["margin"]) and np.allclose(hem_line.get_ydata(), drawn["mean"])
    reference = next(line for line in axis.get_lines() if line.get_label() == "ce (reference)")
    assert reference.get_ydata()[0] == pytest.approx(frame.loc[frame["loss_label"] == "ce", "mean"].iloc[0])


def test_hem_margins_and_verdict_lines():
    assert stats.hem_margins(["ce", "hem:margin=2", "hem", "hem:margin=0.5,p=2"]) == {1.0: "hem", 2.0: "hem:margin=2"}
    claims = pd.DataFrame([{"claim": "3", "statement": "HEM better than CE", "verdict": "inconclusive",
                            "why": "few seeds (n=4 < 5)", "subject": "hem", "comparator": "ce", "diff_mean": 0.0123,
                            "diff_ci_low": -0.004, "diff_ci_high": 0.0286, "n": 4},
                           {"claim": "4", "statement": "S", "verdict": "supported", "why": math.nan, "subject": "hem",
                            "comparator": "ce", "diff_mean": -0.5, "diff_ci_low": -0.6, "diff_ci_high": -0.4, "n": 5}])
    assert stats.verdict_lines(claims).splitlines() == [
        "claim 3 (HEM better than CE): INCONCLUSIVE (few seeds (n=4 < 5))",
        "    hem minus ce = +0.0123, 95% interval [-0.0040, +0.0286] over 4 seeds",
        "claim 4 (S): SUPPORTED",
        "    hem minus ce = -0.5000, 95% interval [-0.6000, -0.4000] over 5 seeds"]


@pytest.fixture
def stored_sweep(tmp_path) -> Sweep:
    """A quick-preset ``clean_corrupt`` sweep of ce, mm and hem (with its margin sweep) over two
    seeds, stored with made-up rows and logits and read back as ``experiments.sweep`` would."""
    specs = experiments.plan("quick", ["clean_corrupt"], ["hem", "ce", "mm"], seeds=2)
    store = ResultStore(tmp_path)
    for index, spec in enumerate(specs):
        logits = torch.full((3, 4), float(index), dtype=torch.float64)
        store.save(spec, RunResult([{"condition": "clean", "metric": "accuracy", "value": 0.5 + index / 100}],
                                   {"logits": logits.numpy(), "targets": np.array([0, 1, 2])}, [], 1.0))
    return Sweep("quick", specs, store, ExecutionReport(skipped=list(specs)))


def test_the_sweep_object_answers_the_notebooks_questions(stored_sweep):
    results = stored_sweep
    labels = {spec.loss_label for spec in results.specs}
    assert results.losses("clean_corrupt") == ["ce", "mm", "hem"]
    assert results.hem_margins("clean_corrupt") == stats.hem_margins(labels) and 1.0 in results.hem_margins("clean_corrupt")
    assert results.settings("clean_corrupt") == tasks.task_settings("quick", "clean_corrupt")
    assert results.summary.equals(stats.summarize(results.table))
    logits = results.logits("clean_corrupt", seed=1)
    assert set(logits) == labels
    for label, (values, targets) in logits.items():
        stored = results.artifacts("clean_corrupt", seed=1)[label]
        assert values.dtype == torch.float32 and torch.equal(values, torch.as_tensor(stored["logits"]).float())
        assert targets.tolist() == [0, 1, 2]
    line = results.describe()
    assert line.startswith(f"{len(results.specs)} runs of clean_corrupt on glyphs in {results.store.root / 'quick'}: "
                           f"{len(results.specs)} read back, 0 trained now; clean_corrupt: HEM at μ = ")
    assert "\n" not in line
    with pytest.raises(ValueError, match="task: expected one of the sweep's tasks"):
        results.losses("ood")


def test_the_sweep_object_judges_its_claims_and_gives_the_data_its_runs_drew(stored_sweep):
    results = stored_sweep
    assert results.verdicts().equals(stats.verdicts(results.table, "quick"))
    assert set(results.verdicts()["claim"]) == {claim.claim for claim in stats.CLAIMS if claim.task == "clean_corrupt"}
    _, test = results.data("clean_corrupt", seed=1)
    _, reference = load_dataset("glyphs", seed=1, **dict(results.settings("clean_corrupt").dataset_options))
    assert torch.equal(dataset_tensors(test)[0][:8], dataset_tensors(reference)[0][:8])
    with pytest.raises(ValueError, match="seed: expected one of the seeds"):
        results.data("clean_corrupt", seed=7)


def test_only_a_sweep_of_the_presets_own_settings_is_on_them(stored_sweep):
    assert stored_sweep.on_preset_settings
    changed = experiments.plan("quick", ["clean_corrupt"], ["ce"], seeds=1, overrides=tasks.parse_assignments(["train.epochs=1"]))
    other_data = experiments.plan("quick", ["clean_corrupt"], ["ce"], seeds=1, dataset="digits")
    for specs in (changed, other_data):
        assert not Sweep("quick", specs, stored_sweep.store, ExecutionReport()).on_preset_settings
