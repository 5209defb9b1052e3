"""Each task runner on a tiny configuration: schema, metric ranges, artifacts, determinism."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from hemlab.tasks import METRICS, TIMING_METRICS, run, task_losses, task_settings, with_settings

BOUNDED = {"accuracy", "ece", "auroc", "fpr95", "aupr_in", "aupr_out", "balanced_accuracy", "many_shot",
           "medium_shot", "few_shot", "average_accuracy", "miou", "pixel_accuracy"}
# forgetting and bwt lie in [-1, 1]: with replay an earlier task can end better than it was


def _rows(result) -> pd.DataFrame:
    return pd.DataFrame(result.rows)


def _check_common(result, task: str, tiny) -> pd.DataFrame:
    rows = _rows(result)
    assert list(rows.columns) == ["condition", "metric", "value"]
    assert set(rows["metric"]) <= set(METRICS)
    bounded = rows[rows["metric"].isin(BOUNDED)]["value"].dropna()
    assert ((bounded >= 0) & (bounded <= 1)).all(), rows
    training = rows[rows["condition"] == "training"].set_index("metric")["value"]
    assert training["train_seconds"] > 0
    assert not rows.duplicated(["condition", "metric"]).any()
    assert len(result.history) >= tiny(task).train.epochs
    assert result.seconds > 0
    return rows


def _without_timing(result) -> pd.DataFrame:
    rows = _rows(result)
    return rows[~rows["metric"].isin(TIMING_METRICS)].reset_index(drop=True)


def test_clean_corrupt_rows_cover_every_corruption_and_severity(tiny, spec_for):
    result = run(spec_for("clean_corrupt"), settings=tiny("clean_corrupt"))
    rows = _check_common(result, "clean_corrupt", tiny)
    corrupted = rows[rows["condition"].str.startswith("corruption=")]
    assert set(corrupted["condition"]) == {f"corruption={c};severity={s}" for c in ("gaussian_noise", "jpeg")
                                          for s in (1, 5)}
    mean = rows.query("condition == 'corrupted' and metric == 'accuracy'")["value"].item()
    assert mean == pytest.approx(corrupted["value"].mean())
    clean = rows.query("condition == 'clean' and metric == 'accuracy'")["value"].item()
    assert clean > 0.3   # ten classes: chance is 0.1
    assert result.artifacts["logits"].dtype == np.float16 and result.artifacts["logits"].shape[1] == 10
    assert len(result.artifacts["targets"]) == len(result.artifacts["logits"]) <= task_settings(
        "quick", "clean_corrupt").logits_cap


def test_ood_rows_have_every_set_and_score(tiny, spec_for):
    result = run(spec_for("ood", "ce"), settings=tiny("ood"))
    rows = _check_common(result, "ood", tiny)
    settings = tiny("ood")
    sets = ("near", *settings.far_ood)
    expected = {f"ood_set={name};score={score}" for name in sets for score in settings.ood_scores}
    measured = rows[rows["condition"].str.startswith("ood_set=")]
    assert set(measured["condition"]) == expected
    assert set(measured["metric"]) == {"auroc", "fpr95", "aupr_in", "aupr_out"}
    known = 10 - len(settings.held_out_classes)
    assert result.artifacts["logits"].shape[1] == known
    for name in sets:
        assert result.artifacts[f"ood_logits_{name}"].shape[1] == known
    far = measured.query("condition == 'ood_set=uniform_noise;score=maxlogit' and metric == 'auroc'")["value"].item()
    assert far > 0.5


def test_adversarial_accuracy_falls_with_eps_and_worst_case_is_the_floor(tiny, spec_for):
    result = run(spec_for("adversarial", "ce"), settings=tiny("adversarial"))
    rows = _check_common(result, "adversarial", tiny)
    attacked = rows[rows["condition"].str.startswith("eps=")].copy()
    attacked[["eps", "attack"]] = attacked["condition"].str.extract(r"eps=([\d.]+);attack=(.*)")
    assert set(attacked["attack"]) == {"fgsm", "pgd-ce", "pgd-margin", "pgd-dlr", "worst_case"}
    by_eps = attacked.pivot(index="eps", columns="attack", values="value")
    assert (by_eps["worst_case"] <= by_eps.drop(columns="worst_case").min(axis=1) + 1e-12).all()
    assert by_eps.loc["0.04", "worst_case"] <= by_eps.loc["0.02", "worst_case"]


def test_imbalanced_rows_per_ratio_and_la_gets_the_class_counts(tiny, spec_for):
    result = run(spec_for("imbalanced", "la"), settings=tiny("imbalanced"))
    rows = _check_common(result, "imbalanced", tiny)
    for ratio in ("ratio=10", "ratio=100"):
        metrics = set(rows[rows["condition"] == ratio]["metric"])
        assert {"accuracy", "balanced_accuracy", "many_shot", "medium_shot", "few_shot"} <= metrics
    counts = result.artifacts["class_counts"]
    assert counts[0] == counts.max() and counts[-1] == counts.min() and counts[0] / counts[-1] >= 99
    assert len({record["stage"] for record in result.history}) == 2


def test_continual_accuracy_matrix_and_summary_agree_for_both_protocols(tiny, spec_for):
    result = run(spec_for("continual"), settings=tiny("continual"))
    rows = _check_common(result, "continual", tiny)
    for protocol, name in (("replay", "accuracy_matrix"), ("finetune", "accuracy_matrix_finetune")):
        matrix = result.artifacts[name]
        assert matrix.shape == (2, 2)
        final = rows[rows["condition"] == f"protocol={protocol}"].set_index("metric")["value"]
        assert final["average_accuracy"] == pytest.approx(matrix[-1].mean())
        assert final["bwt"] == pytest.approx(matrix[1, 0] - matrix[0, 0])
        cell = rows.query(f"condition == 'protocol={protocol};step=1;task=0'")["value"].item()
        assert cell == pytest.approx(matrix[1, 0])
    assert {record["stage"] for record in result.history} == {0, 1, 2, 3}


def test_replay_trains_each_stage_with_a_buffer_of_every_earlier_class(tiny, spec_for, monkeypatch):
    from hemlab.data import dataset_targets
    from hemlab.tasks import continual

    seen = []
    real_fit = continual.fit

    def recording_fit(spec, context, model, train_set, eval_set, **options):
        seen.append((options["stage"], dataset_targets(train_set).bincount(minlength=10).tolist()))
        return real_fit(spec, context, model, train_set, eval_set, **options)

    monkeypatch.setattr(continual, "fit", recording_fit)
    settings = with_settings(tiny("continual"), replay_per_class=7)
    run(spec_for("continual", "ce"), settings=settings)
    stages = dict(seen)
    assert list(stages) == ["replay-task0", "replay-task1", "finetune-task0", "finetune-task1"]
    first, second = stages["replay-task0"], stages["replay-task1"]
    assert all(count > 0 for count in first[:5]) and sum(first[5:]) == 0
    assert second[:5] == [7] * 5 and all(count > 7 for count in second[5:])
    assert sum(stages["finetune-task1"][:5]) == 0
    with pytest.raises(ValueError, match="protocols: expected names from replay, finetune"):
        with_settings(settings, protocols=("rehearsal",))


def test_la_prior_seen_counts_every_class_seen_so_far():
    import torch
    from torch.utils.data import TensorDataset

    from hemlab.tasks.continual import stage_prior_counts

    train_set = TensorDataset(torch.zeros(10, 1), torch.tensor([0, 0, 0, 0, 1, 1, 2, 2, 2, 3]))
    stage = TensorDataset(torch.zeros(3, 1), torch.tensor([2, 2, 0]))
    assert stage_prior_counts("stage", stage, train_set, [0, 1, 2], 4).tolist() == [1, 1, 2, 1]
    assert stage_prior_counts("seen", stage, train_set, [0, 1, 2], 4).tolist() == [4, 2, 3, 1]
    with pytest.raises(ValueError, match="la_prior: expected one of stage, seen"):
        stage_prior_counts("all", stage, train_set, [0], 4)


@pytest.mark.parametrize("task", ["clean_corrupt", "ood", "adversarial", "imbalanced", "continual", "segmentation"])
def test_per_item_records_reproduce_the_rows_they_belong_to(task, tiny, spec_for):
    from hemlab.tasks.item_records import item_records, metric_from_items

    result = run(spec_for(task, "ce"), settings=tiny(task))
    rows = _rows(result).set_index(["condition", "metric"])["value"]
    records = item_records(result.artifacts)
    assert records, "every runner stores per-item records"
    for (condition, metric), record in records.items():
        assert metric_from_items(record) == pytest.approx(rows[(condition, metric)], abs=1e-6), (condition, metric)


def test_the_seed_redraws_the_split_of_embedded_data(spec_for):
    from hemlab.tasks.fit import load_data

    settings = task_settings("quick", "clean_corrupt")
    first, again, other = (load_data(spec_for("clean_corrupt", "ce", seed=seed), settings)[1].tensors[0]
                           for seed in (0, 0, 1))
    assert first.shape == other.shape and (first == again).all() and not (first == other).all()


@pytest.mark.parametrize("loss", ["hem", "dice"])
def test_segmentation_rows_and_masks(loss, tiny, spec_for):
    result = run(spec_for("segmentation", loss), settings=tiny("segmentation"))
    rows = _check_common(result, "segmentation", tiny)
    assert set(rows[rows["condition"] == "clean"]["metric"]) == {"miou", "pixel_accuracy"}
    masks = result.artifacts
    assert masks["masks_pred"].shape == masks["masks_true"].shape == (4, 16, 16)
    assert masks["images"].shape == (4, 3, 16, 16)
    assert masks["logits"].shape[1] == 4 and masks["logits"].dtype == np.float16
    assert ((masks["targets"] >= 0) & (masks["targets"] < 4)).all()


@pytest.mark.parametrize("task", ["clean_corrupt", "ood", "adversarial", "imbalanced", "continual", "segmentation"])
def test_same_spec_gives_the_same_rows_and_artifacts(task, tiny, spec_for):
    spec = spec_for(task, "mm" if task != "segmentation" else "focal", seed=1)
    settings = tiny(task)
    first, second = run(spec, settings=settings), run(spec, settings=settings)
    pd.testing.assert_frame_equal(_without_timing(first), _without_timing(second))
    for name, array in first.artifacts.items():
        np.testing.assert_array_equal(array, second.artifacts[name])


def test_a_different_seed_gives_a_different_model(tiny, spec_for):
    settings = tiny("clean_corrupt")
    first = run(spec_for("clean_corrupt", "ce", seed=0), settings=settings)
    second = run(spec_for("clean_corrupt", "ce", seed=1), settings=settings)
    assert not np.array_equal(first.artifacts["logits"], second.artifacts["logits"])


def test_every_loss_runs_on_its_tasks(tiny, spec_for):
    for task in ("clean_corrupt", "segmentation"):
        settings = tiny(task)
        for loss in task_losses(task):
            rows = _rows(run(spec_for(task, loss), settings=settings))
            assert rows["value"].drop(rows.index[rows["metric"] == "epochs_to_target"]).notna().all(), (task, loss)


def test_a_loss_without_support_for_the_task_output_is_refused(tiny, spec_for):
    with pytest.raises(ValueError, match="dice does not support classification"):
        run(spec_for("clean_corrupt", "dice"))


def test_epochs_to_target_is_nan_when_the_target_is_never_reached(tiny, spec_for):
    settings = tiny("clean_corrupt")
    unreachable = run(spec_for("clean_corrupt", "ce"),
                      settings=with_settings(settings, target_accuracy=1.01, corruptions=()))
    rows = _rows(unreachable).set_index(["condition", "metric"])["value"]
    assert math.isnan(rows[("training", "epochs_to_target")])

