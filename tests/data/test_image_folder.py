"""An image folder as a dataset (``folder:PATH``): layouts, splits, the decoded-tensor cache,
the content fingerprint in the run identity, segmentation masks, and every classification task."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest
import torch
from PIL import Image

from hemlab.data import dataset_info, load_dataset
from hemlab.data.folder import scan_folder, stratified_split
from hemlab.experiments import ResultStore, execute, plan

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from own_data_source import write_class_folder, write_mask_folder  # noqa: E402 - the helper lives in tests/

TINY = (("train.epochs", 1), ("imbalance_ratios", (10.0,)), ("far_ood", ("uniform_noise",)), ("corruptions", ()),
        ("severities", (1,)))


@pytest.fixture(autouse=True)
def data_home(tmp_path, monkeypatch):
    """The folder cache goes to a temporary ``$HEMLAB_DATA``."""
    monkeypatch.setenv("HEMLAB_DATA", str(tmp_path / "data"))
    return tmp_path / "data"


def test_one_tree_is_split_by_the_seed_stratified_and_resized(tmp_path):
    root = write_class_folder(tmp_path / "imgs", classes=4, per_class=10)
    info = dataset_info(f"folder:{root}")
    assert (info.kind, info.num_classes, info.in_channels, info.split_by_seed) == ("image", 4, 1, True)
    train, test = load_dataset(f"folder:{root}", seed=0, image_size=12)
    assert train.tensors[0].shape == (32, 1, 12, 12) and test.tensors[0].shape == (8, 1, 12, 12)
    assert torch.bincount(test.tensors[1]).tolist() == [2, 2, 2, 2]
    assert train.tensors[0].dtype == torch.float32 and 0 <= float(train.tensors[0].min()) <= 1
    other = load_dataset(f"folder:{root}", seed=1, image_size=12)[1]
    assert not torch.equal(other.tensors[0], test.tensors[0]), "another seed draws another split"
    assert torch.equal(load_dataset(f"folder:{root}", seed=0, image_size=12)[1].tensors[0], test.tensors[0])


def test_train_and_test_folders_are_a_fixed_split_and_colour_images_give_three_channels(tmp_path):
    root = write_class_folder(tmp_path / "imgs", classes=3, per_class=6, split=True, rgb=True)
    info = dataset_info(f"folder:{root}")
    assert (info.num_classes, info.in_channels, info.split_by_seed) == (3, 3, False)
    train, test = load_dataset(f"folder:{root}", seed=5, image_size=8)
    assert train.tensors[0].shape == (18, 3, 8, 8) and test.tensors[0].shape == (6, 3, 8, 8)


def test_the_second_load_decodes_nothing_and_a_damaged_cache_is_decoded_again(tmp_path, data_home, monkeypatch):
    root = write_class_folder(tmp_path / "imgs", classes=3, per_class=6)
    first = load_dataset(f"folder:{root}", image_size=10)
    (cache,) = (data_home / "folders").glob("*-10-1-255.pt")

    def no_decoding(*args, **kwargs):
        raise AssertionError("an image was opened although the cache holds it")

    with monkeypatch.context() as patched:
        patched.setattr(Image, "open", no_decoding)
        second = load_dataset(f"folder:{root}", image_size=10)
    assert torch.equal(first[0].tensors[0], second[0].tensors[0])
    cache.write_bytes(cache.read_bytes()[:-40] + bytes(40))
    with pytest.warns(UserWarning, match="is damaged; decoding the images again"):
        third = load_dataset(f"folder:{root}", image_size=10)
    assert torch.equal(first[0].tensors[0], third[0].tensors[0])


def test_a_changed_file_changes_the_fingerprint_and_the_run_id(tmp_path):
    root = write_class_folder(tmp_path / "imgs", classes=3, per_class=6)
    spec = plan("quick", ["clean_corrupt"], ["ce"], seeds=1, dataset=f"folder:{root}", overrides=TINY)[0]
    assert spec.dataset == f"folder:{root.resolve()}"
    before, fingerprint = spec.run_id, scan_folder(root.resolve()).fingerprint
    Image.new("L", (20, 20), 128).save(root / "class_0" / "0.png")
    assert scan_folder(root.resolve()).fingerprint != fingerprint
    again = plan("quick", ["clean_corrupt"], ["ce"], seeds=1, dataset=f"folder:{root}", overrides=TINY)[0]
    assert again.run_id != before


def test_segmentation_reads_images_and_masks_with_an_ignore_label(tmp_path):
    root = write_mask_folder(tmp_path / "seg", count=10, size=16)
    info = dataset_info(f"folder:{root}")
    assert (info.kind, info.num_classes, info.in_channels, info.ignore_index) == ("segmentation", 3, 3, -100)
    train, test = load_dataset(f"folder:{root}", seed=0, image_size=16)
    assert train.tensors[1].shape == (8, 16, 16) and len(test) == 2
    assert set(torch.unique(train.tensors[1]).tolist()) == {-100, 0, 1, 2}
    specs = plan("quick", ["segmentation"], ["ce", "dice"], seeds=1, dataset=f"folder:{root}", margin_sweep=False,
                 overrides=(("train.epochs", 1), ("model_options", (("width", 4),))))
    report = execute(specs, ResultStore(tmp_path / "results"), executor="local", progress=False)
    assert not report.failed, [failure.error for failure in report.failed]
    table = ResultStore(tmp_path / "results").table("quick")
    assert table.loc[table["metric"] == "miou", "value"].between(0, 1).all()


@pytest.mark.parametrize("folder, message", [
    ("missing", "dataset: expected folder:PATH naming a folder of images, got"),
    ("empty", "expected class folders of images (train/ and test/ or one tree), or images/ and masks/"),
    ("one_class", "expected at least 2 class folders, got ['class_0']"),
])
def test_a_folder_that_holds_no_dataset_is_refused_in_one_line(tmp_path, folder, message):
    (tmp_path / "empty").mkdir()
    write_class_folder(tmp_path / "one_class", classes=1, per_class=3)
    with pytest.raises(ValueError) as error:
        plan("quick", ["ood"], ["ce"], seeds=1, dataset=f"folder:{tmp_path / folder}")
    assert message in str(error.value) and "\n" not in str(error.value)


def test_every_classification_task_draws_its_classes_from_the_folder(tmp_path):
    root = write_class_folder(tmp_path / "imgs", classes=5, per_class=12)
    tasks = ["clean_corrupt", "ood", "adversarial", "imbalanced", "continual"]
    overrides = TINY + (("eps", (0.02,)), ("attack_steps", 2))
    specs = plan("quick", tasks, ["ce"], seeds=1, dataset=f"folder:{root}", overrides=overrides)
    store = ResultStore(tmp_path / "results")
    report = execute(specs, store, executor="local", progress=False)
    assert not report.failed, [failure.error for failure in report.failed]
    table = store.table("quick")
    assert set(table["task"]) == set(tasks)
    ood = table[(table["task"] == "ood") & (table["metric"] == "auroc")]
    assert ood["value"].between(0, 1).all() and "ood_set=near;score=msp" in set(ood["condition"])
    stages = {condition for condition in table.loc[table["task"] == "continual", "condition"] if "step=" in condition}
    assert "protocol=replay;step=4;task=4" in stages, "5 classes: one continual stage per class, not 5 of 10"
    with pytest.raises(ValueError, match=r"held_out_classes: dataset .* has classes 0..4; expected held-out"):
        plan("quick", ["ood"], ["ce"], seeds=1, dataset=f"folder:{root}", overrides=(("held_out_classes", (7,)),))


def test_stratified_split_keeps_a_share_of_every_class():
    labels = torch.tensor([0] * 10 + [1] * 5 + [2] * 1)
    test = stratified_split(labels, 0.2, seed=0)
    assert torch.bincount(labels[test], minlength=3).tolist() == [2, 1, 0]
