"""Adversarial robustness (paper claim 3: HEM more robust than CE).

White-box L-inf attacks on the test set at each ``eps`` of the preset: FGSM and PGD with
three attack losses (cross-entropy, Carlini-Wagner margin, DLR), and the per-sample worst
case over all of them, so that a margin-trained model is not flattered by a CE-only attack. Per-item record: each
attacked item's worst-case correctness at each eps.
"""
from __future__ import annotations

from torch.utils.data import DataLoader, Subset

from hemlab.attacks import ATTACK_LOSSES, robust_correct, standard_attacks
from hemlab.tasks.declaration import Claim, Headline, TaskInfo, register_task
from hemlab.tasks.evaluation import clean_evaluation, finish
from hemlab.tasks.fit import RunContext, fit_on_dataset, num_classes_of
from hemlab.tasks.item_records import item_artifacts
from hemlab.tasks.result import Rows, RunResult, format_condition
from hemlab.tasks.settings import TaskSettings
from hemlab.tasks.spec import RunSpec

ATTACK_BATCH = 500


def run_adversarial(spec: RunSpec, context: RunContext) -> RunResult:
    settings = context.settings
    fitted, _, test_set = fit_on_dataset(spec, context)
    rows = Rows()
    _, _, artifacts = clean_evaluation(fitted, test_set, rows, context)
    attacked = test_set
    if settings.attack_samples is not None and settings.attack_samples < len(test_set):
        attacked = Subset(test_set, range(settings.attack_samples))
    num_classes = num_classes_of(spec, settings)
    attack_losses = ATTACK_LOSSES if num_classes >= 3 else tuple(loss for loss in ATTACK_LOSSES if loss != "dlr")
    for eps in settings.eps:
        attacks = standard_attacks(eps, steps=settings.attack_steps, losses=attack_losses)
        outcome = robust_correct(fitted.model, DataLoader(attacked, batch_size=ATTACK_BATCH), attacks)
        for attack, correct in outcome.items():
            if attack != "clean":
                rows.add(format_condition(eps=float(eps), attack=attack), accuracy=float(correct.float().mean()))
        artifacts.update(item_artifacts(format_condition(eps=float(eps), attack="worst_case"), "accuracy",
                                        correct=outcome["worst_case"]))
    return finish(rows, [fitted], artifacts)


def _headline(settings: TaskSettings) -> Headline:
    """The worst case over every attack at the preset's largest eps."""
    return Headline(format_condition(eps=float(max(settings.eps)), attack="worst_case"), "accuracy",
                    "worst case over FGSM and PGD with CE, margin and DLR losses at the largest eps")


register_task(TaskInfo(
    "adversarial", "robust accuracy under FGSM and PGD (CE, margin, DLR) attacks", "HEM more robust than CE",
    run_adversarial, headline=_headline,
    claims=(Claim("3", "Adversarial robustness: HEM better than CE", "adversarial", "hem", "ce", "better"),),
    whole_dataset=True))
