"""A paper-preset spec runs end to end, on random tensors shaped like its dataset (no download)."""
from __future__ import annotations

import pandas as pd
import pytest
import torch
from torch.utils.data import TensorDataset

from hemlab.data import DATASETS
from hemlab.tasks import RunSpec
from hemlab.tasks import fit as fit_module
from hemlab.tasks import run, task_settings, with_settings


def _random_like(name: str, count: int, seed: int) -> TensorDataset:
    info = DATASETS[name]
    generator = torch.Generator().manual_seed(seed)
    images = torch.rand(count, info.in_channels, info.image_size, info.image_size, generator=generator)
    if info.kind == "segmentation":
        shape = (count, info.image_size, info.image_size)
        return TensorDataset(images, torch.randint(0, info.num_classes, shape, generator=generator))
    labels = torch.arange(count) % info.num_classes
    return TensorDataset(images, labels)


@pytest.fixture
def offline_paper_data(monkeypatch):
    def fake_load_dataset(name, *, seed=0, **options):
        return _random_like(name, 40, seed), _random_like(name, 20, seed + 1)
    monkeypatch.setattr(fit_module, "load_dataset", fake_load_dataset)


@pytest.mark.parametrize("task, changes", [
    ("clean_corrupt", {"corruptions": ("contrast",), "severities": (3,)}),
    ("adversarial", {"eps": (8 / 255,), "attack_steps": 1, "attack_samples": 8}),
])
def test_a_paper_spec_runs_end_to_end_on_cifar_shaped_tensors(offline_paper_data, tmp_path, task, changes):
    settings = with_settings(task_settings("paper", task), epochs=2, milestones=(1,), batch_size=16, **changes)
    spec = RunSpec(task, settings.dataset, settings.model, "hem", (), 0, "paper")
    result = run(spec, "cpu", settings=settings, checkpoint_dir=tmp_path)
    rows = pd.DataFrame(result.rows)
    assert {"clean", "training"} <= set(rows["condition"])
    assert result.artifacts["logits"].shape == (20, 10)
    assert [path.name for path in tmp_path.iterdir()] == [f"{spec.run_id}-train.pt"]


def test_the_paper_segmentation_spec_builds_its_unet_for_voc(offline_paper_data):
    settings = with_settings(task_settings("paper", "segmentation"), epochs=1, milestones=None, batch_size=4,
                             checkpoints=False,
                             model_options=(("width", 4),))
    spec = RunSpec("segmentation", "voc", "unet", "dice", (), 0, "paper")
    result = run(spec, "cpu", settings=settings)
    assert result.artifacts["masks_pred"].shape[1:] == (DATASETS["voc"].image_size,) * 2


def test_paper_verdicts_add_the_test_item_bootstrap_on_the_fixed_test_set(offline_paper_data, tmp_path):
    from hemlab.experiments import ResultStore
    from hemlab.stats import Claim, verdicts

    settings = with_settings(task_settings("paper", "clean_corrupt"), epochs=1, milestones=None, batch_size=20,
                             corruptions=(), checkpoints=False)
    store = ResultStore(tmp_path)
    specs = [RunSpec("clean_corrupt", "cifar10", "cifar_cnn", loss, (), seed, "paper")
             for loss in ("hem", "ce") for seed in range(5)]
    for spec in specs:
        store.save(spec, run(spec, "cpu", settings=settings))
    table = store.table("paper", specs)
    claim = (Claim("1", "test", "clean_corrupt", "hem", "ce", "slightly_worse", bound=0.02),)
    row = verdicts(table, "paper", claims=claim,
                   items=lambda task, run_id: store.items("paper", task, run_id)).iloc[0]
    assert row["n"] == 5 and row["se_test_set"] > 0
    assert row["why"] != "" and not row["why"].startswith("test-set noise unknown")
