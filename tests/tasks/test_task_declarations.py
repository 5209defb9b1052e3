"""Each task is declared beside its runner: its description, headline and claims are in the
runner's module, and the registry only collects them in the paper's order."""
from __future__ import annotations

import importlib

import pytest

from hemlab import stats, tasks
from hemlab.tasks.declaration import DECLARED, Claim, Headline, TaskInfo, register_task
from hemlab.tasks.names import TASK_NAMES


def test_every_task_is_declared_in_its_runners_module_in_the_papers_order():
    assert list(tasks.TASKS) == list(TASK_NAMES)
    for name, info in tasks.TASKS.items():
        module = importlib.import_module(f"hemlab.tasks.{name}")
        assert info.runner.__module__ == module.__name__ == f"hemlab.tasks.{name}"
        assert all(claim.task == name for claim in info.claims)


def test_the_claims_are_the_declared_ones_in_the_papers_numbering():
    declared = {claim.claim for info in tasks.TASKS.values() for claim in info.claims}
    assert {claim.claim for claim in stats.CLAIMS} == declared and len(stats.CLAIMS) == len(declared)
    assert [claim.claim for claim in stats.CLAIMS] == ["1", "1b", "2", "2b", "2c", "3", "4", "4b", "4c", "5", "5b",
                                                       "6", "6b", "7b"]


def test_a_headline_may_depend_on_the_presets_settings():
    quick, colab = stats.headlines("quick")["adversarial"], stats.headlines("colab")["adversarial"]
    assert quick.condition == "eps=0.04;attack=worst_case" and quick.condition != colab.condition
    assert {head.metric for head in stats.headlines("paper").values()} >= {"accuracy", "auroc", "miou"}


def _runner(spec, context):
    raise AssertionError("never run")


def test_a_declaration_names_a_known_task_and_claims_only_on_itself():
    with pytest.raises(ValueError, match="name: expected one of clean_corrupt"):
        TaskInfo("mystery", "what", "claim", _runner, headline=Headline("clean", "accuracy", "why"))
    with pytest.raises(ValueError, match=r"claims: expected claims on task ood, got claims \['x'\]"):
        TaskInfo("ood", "what", "claim", _runner, headline=Headline("clean", "accuracy", "why"),
                 claims=(Claim("x", "s", "imbalanced", "hem", "ce", "better"),))


def test_a_task_is_declared_once():
    again = TaskInfo("ood", "another", "claim", _runner, headline=Headline("clean", "accuracy", "why"))
    with pytest.raises(ValueError, match="'ood' is declared twice"):
        register_task(again)
    assert DECLARED["ood"] is tasks.TASKS["ood"]
