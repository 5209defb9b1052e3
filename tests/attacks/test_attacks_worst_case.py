"""Worst case over several attacks, and robust accuracy over a dataset."""
from __future__ import annotations

from functools import partial

import pytest
import torch
from torch.utils.data import DataLoader, Subset, TensorDataset

from hemlab.attacks import fgsm, pgd, robust_accuracy, standard_attacks, worst_case

EPS = 0.1


def test_worst_case_is_at_most_every_single_attack(digits_model):
    model, x, y = digits_model
    outcome = worst_case(model, x, y, standard_attacks(EPS, steps=10))
    assert set(outcome.per_attack) == {"fgsm", "pgd-ce", "pgd-margin", "pgd-dlr"}
    worst = outcome.robust.float().mean()
    singles = {name: mask.float().mean() for name, mask in outcome.per_attack.items()}
    assert all(worst <= value for value in singles.values())
    assert worst < min(singles.values())  # the attacks find different failures
    assert outcome.clean.float().mean() > 0.9


def test_per_attack_masks_match_running_the_attack_directly(digits_model):
    model, x, y = digits_model
    attacks = {"fgsm": partial(fgsm, eps=EPS), "pgd-dlr": partial(pgd, eps=EPS, loss="dlr", random_start=False)}
    outcome = worst_case(model, x, y, attacks)
    with torch.no_grad():
        clean = model(x).argmax(1) == y
        direct_fgsm = clean & (model(fgsm(model, x, y, EPS)).argmax(1) == y)
        direct_dlr = clean & (model(pgd(model, x, y, EPS, loss="dlr", random_start=False)).argmax(1) == y)
    assert torch.equal(outcome.clean, clean)
    assert torch.equal(outcome.per_attack["fgsm"], direct_fgsm)
    assert torch.equal(outcome.per_attack["pgd-dlr"], direct_dlr)
    assert torch.equal(outcome.robust, direct_fgsm & direct_dlr)


def test_robust_accuracy_over_a_dataset_or_loader_equals_one_batch(digits_model):
    model, x, y = digits_model
    attacks = standard_attacks(EPS, steps=5, random_start=False, losses=("ce", "dlr"))
    whole = robust_accuracy(model, (x, y), attacks)
    dataset = TensorDataset(x.cpu(), y.cpu())
    for data, keywords in ((DataLoader(dataset, batch_size=128), {}), (dataset, {"batch_size": 100}),
                           (Subset(dataset, range(len(dataset))), {})):
        batched = robust_accuracy(model, data, attacks, **keywords)
        assert list(batched) == ["clean", "fgsm", "pgd-ce", "pgd-dlr", "worst_case"]
        assert batched == pytest.approx(whole)
    assert whole["worst_case"] <= min(whole["fgsm"], whole["pgd-ce"], whole["pgd-dlr"]) < whole["clean"]


def test_robust_accuracy_names_bad_data(digits_model):
    model, x, y = digits_model
    attacks = {"fgsm": partial(fgsm, eps=EPS)}
    with pytest.raises(ValueError, match="data: expected an \\(x, y\\) tuple of tensors, a Dataset or a DataLoader"):
        robust_accuracy(model, [(x, y)], attacks)
    with pytest.raises(ValueError, match="batch_size"):
        robust_accuracy(model, TensorDataset(x, y), attacks, batch_size=0)


def test_worst_case_and_robust_accuracy_validate_attacks(digits_model):
    model, x, y = digits_model
    with pytest.raises(ValueError, match="at least one"):
        worst_case(model, x, y, {})
    with pytest.raises(ValueError, match="reserved"):
        robust_accuracy(model, (x, y), {"clean": partial(fgsm, eps=EPS)})
    with pytest.raises(ValueError, match="shape"):
        worst_case(model, x, y, {"bad": lambda model, x, y: x[:1]})
    with pytest.raises(ValueError, match="losses"):
        standard_attacks(EPS, losses=("ce", "hinge"))
