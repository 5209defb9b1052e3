"""Your own dataset and model from Python: registration, the record's checks, and a bad loader
or model refused before any run with one line naming it and what was expected."""
from __future__ import annotations

import pytest
import torch
from torch import nn

from hemlab.data import DATASETS, dataset_info, load_dataset, register_dataset
from hemlab.experiments import ResultStore, execute, plan
from hemlab.models import MODELS, create_model, model_info, register_model

TINY = (("train.epochs", 1), ("imbalance_ratios", (10.0,)))


def _stripes(count: int, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(seed)
    labels = torch.arange(count) % 4
    images = torch.rand(count, 1, 8, 8, generator=generator) * 0.5
    for label in range(4):
        images[labels == label, :, :, 2 * label:2 * label + 2] += 0.5
    return images, labels


@pytest.fixture
def registered():
    """``tstripes`` (4 classes, 1x8x8, split by seed) and ``tnet`` for one test."""
    @register_dataset("tstripes", num_classes=4, in_channels=1, image_size=8, description="stripes for tests")
    def load(*, seed: int = 0, n_train: int = 200):
        return _stripes(n_train, seed), _stripes(80, seed + 1)

    @register_model("tnet", description="flatten and a linear layer")
    def build(num_classes, in_channels=1, image_size=8):
        return nn.Sequential(nn.Flatten(), nn.Linear(in_channels * image_size ** 2, num_classes))

    yield load, build
    DATASETS.remove("tstripes")
    MODELS.remove("tnet")


def test_a_registered_dataset_and_model_load_and_build_like_built_in_ones(registered):
    load, build = registered
    info = dataset_info("tstripes")
    assert (info.kind, info.num_classes, info.in_channels, info.image_size) == ("image", 4, 1, 8)
    assert info.module == __name__ and info.version.startswith("unversioned+") and info.split_by_seed
    assert info.defaults == {"n_train": 200}
    train, test = load_dataset("tstripes", seed=3, n_train=40)
    assert train.tensors[0].shape == (40, 1, 8, 8) and train.tensors[1].dtype == torch.long and len(test) == 80
    assert torch.equal(train.tensors[0], _stripes(40, 3)[0])
    with pytest.raises(ValueError, match=r"dataset 'tstripes': expected options from \['n_train'\], got unknown"):
        load_dataset("tstripes", n_test=3)
    assert model_info("tnet").output == "classification" and model_info("tnet").module == __name__
    assert create_model("tnet", 4, in_channels=1, image_size=8)(train.tensors[0]).shape == (40, 4)


def test_built_in_names_cannot_be_replaced_and_a_second_registration_needs_replace(registered):
    load, build = registered
    with pytest.raises(ValueError, match="'glyphs' is built into hemlab and cannot be replaced"):
        register_dataset("glyphs", load, num_classes=4, in_channels=1, image_size=8, description="mine")
    with pytest.raises(ValueError, match="'mlp' is built into hemlab and cannot be replaced"):
        register_model("mlp", build, description="mine")
    with pytest.raises(ValueError, match="'tstripes' is already registered; pass replace=True"):
        register_dataset("tstripes", load, num_classes=4, in_channels=1, image_size=8, description="again")
    register_model("tnet", build, description="again", replace=True)
    assert model_info("tnet").description == "again"


@pytest.mark.parametrize("arguments, message", [
    ({"kind": "regression"}, "kind: expected one of ['classification', 'segmentation'] for dataset 'bad', got"),
    ({"num_classes": 0}, "num_classes: expected a positive integer for dataset 'bad', got 0"),
    ({"image_size": None}, "image_size: expected a positive integer for dataset 'bad', got None"),
    ({"description": " "}, "description: expected a one-line description of dataset 'bad'"),
])
def test_bad_registrations_are_refused_naming_the_argument(arguments, message):
    keywords = {"num_classes": 4, "in_channels": 1, "image_size": 8, "description": "bad", **arguments}
    with pytest.raises(ValueError) as error:
        register_dataset("bad", lambda *, seed=0: None, **keywords)
    assert message in str(error.value) and "bad" not in DATASETS


def test_a_model_builder_must_take_num_classes_and_in_channels():
    with pytest.raises(ValueError, match=r"model 'badnet' must take \(num_classes, in_channels, \*\*options\)"):
        register_model("badnet", lambda num_classes: nn.Identity(), description="no channels")
    with pytest.raises(ValueError, match="output: expected one of"):
        register_model("badnet", lambda num_classes, in_channels=1: nn.Identity(), output="dense", description="x")


def _images(count=20):
    return _stripes(count)[0]


BAD_LOADERS = [
    ("labels out of range", lambda: ((_images(), torch.arange(20) % 4 + 1), (_images(), torch.arange(20) % 4)),
     "dataset 'badload' train: expected int64 labels of shape (20,) in [0, 4), got labels [4]"),
    ("wrong shape", lambda: ((_images()[:, :, :6], torch.zeros(20, dtype=torch.long)),) * 2,
     "dataset 'badload' train: expected float images in [0, 1] of shape (N, 1, 8, 8), got shape (20, 1, 6, 8)"),
    ("integer images", lambda: (((_images() * 255).to(torch.uint8), torch.zeros(20, dtype=torch.long)),) * 2,
     "expected float images in [0, 1] of shape (N, 1, 8, 8), got dtype torch.uint8"),
    ("NaN", lambda: ((_images().index_fill(0, torch.tensor([3]), float("nan")), torch.zeros(20, dtype=torch.long)),)
     * 2, "expected float images in [0, 1] of shape (N, 1, 8, 8), got NaN or infinite values"),
    ("not in [0, 1]", lambda: ((_images() * 255, torch.zeros(20, dtype=torch.long)),) * 2,
     "expected float images in [0, 1] of shape (N, 1, 8, 8), got values in [0"),
    ("float labels", lambda: ((_images(), torch.zeros(20)),) * 2, "expected int64 labels of shape (20,)"),
    ("one split", lambda: (_images(), torch.zeros(20, dtype=torch.long), None),
     "dataset 'badload': expected the loader to return (train, test), got tuple"),
]


@pytest.mark.parametrize("case, returned, message", BAD_LOADERS, ids=[case for case, _, _ in BAD_LOADERS])
def test_a_bad_loader_is_refused_by_the_plan_before_any_run(case, returned, message, tmp_path):
    register_dataset("badload", lambda: returned(), num_classes=4, in_channels=1, image_size=8,
                     description=f"a loader with {case}")
    try:
        with pytest.raises(ValueError) as error:
            plan("quick", ["imbalanced"], ["ce"], seeds=1, dataset="badload", model="mlp", overrides=TINY)
        assert message in str(error.value) and "\n" not in str(error.value)
    finally:
        DATASETS.remove("badload")
    assert not list(tmp_path.iterdir())


def test_a_model_whose_output_does_not_fit_is_refused_by_the_plan(registered):
    register_model("wrongnet", lambda num_classes, in_channels=1: nn.Sequential(nn.Flatten(), nn.Linear(64, 3)),
                   description="always 3 logits")
    try:
        with pytest.raises(ValueError, match=r"model 'wrongnet' on dataset 'tstripes': expected classification "
                                             r"logits of shape \(2, 4\) on inputs \(2, 1, 8, 8\), got shape \(2, 3\)"):
            plan("quick", ["clean_corrupt"], ["ce"], seeds=1, dataset="tstripes", model="wrongnet")
        with pytest.raises(ValueError, match="model: task segmentation needs a segmentation model"):
            plan("quick", ["segmentation"], ["ce"], seeds=1, model="tnet")
    finally:
        MODELS.remove("wrongnet")


def test_a_registered_dataset_and_model_run_imbalanced_and_continual_with_their_identity(registered, tmp_path):
    overrides = TINY + (("n_tasks", 2),)
    specs = plan("quick", ["imbalanced", "continual"], ["ce", "hem"], seeds=2, dataset="tstripes", model="tnet",
                 overrides=overrides, margin_sweep=False)
    assert {(spec.dataset, spec.model) for spec in specs} == {("tstripes", "tnet")} and len(specs) == 8
    report = execute(specs, ResultStore(tmp_path), executor="local", progress=False)
    assert not report.failed, [failure.error for failure in report.failed]
    table = ResultStore(tmp_path).table("quick")
    assert set(table["dataset"]) == {"tstripes"} and set(table["model"]) == {"tnet"}
    assert table.loc[table["metric"] == "balanced_accuracy", "value"].between(0, 1).all()
    assert "protocol=replay;step=1;task=1" in set(table["condition"])
    before = specs[0].run_id
    load, _ = registered
    register_dataset("tstripes", lambda *, seed=0, n_train=200: load(seed=seed, n_train=n_train), num_classes=4,
                     in_channels=1, image_size=8, description="edited loader", replace=True)
    assert plan("quick", ["imbalanced"], ["ce"], seeds=1, dataset="tstripes", model="tnet",
                overrides=TINY)[0].run_id != before, "an edited loader must never reuse old runs"
