"""How big the colab preset is: FLOPs per run from its settings, per-step cost on this CPU, a T4 estimate.

Three parts, each printed as a table:

1. **per image**: the FLOPs of one training image (forward + backward, counted by
   ``torch.utils.flop_counter.FlopCounterMode`` on the real model) and of one evaluated image
   (forward) for the colab models: ResNet-20 on 3x32x32, the U-Net (width 16) on 3x64x64;
2. **per step on this CPU**: the median seconds of one SGD training step at the preset's
   batch size (forward, backward, update) and of one evaluation batch of 512, interleaved
   with the quick preset's MLP step as the baseline measured in the same run (threads as
   ``--threads``);
3. **per run and preset**: for each task, the images trained (samples x epochs of every
   training stage: the held-out classes of ``ood``, the long tail of ``imbalanced``, the
   stages and replay buffer of ``continual``), the images evaluated (per-epoch evaluation,
   corruptions, unknown sets, the continual accuracy matrix) and the attack passes (FGSM and
   one PGD per attack loss at each eps, each step a forward and backward on
   ``attack_samples``), times the runs of ``plan("colab", seeds=5)``; then the total FLOPs and
   the hours they take at ``--tflops`` effective TFLOP/s (default 4: our guess for ResNet-20
   with float16 autocast on a T4, whose tensor-core peak is 65; narrow 16-64-channel
   convolutions and the memory-bound batch norms reach a small part of it) and on this CPU at
   the rate part 2 measured.

The T4 figure is an estimate from a FLOP count and an assumed rate, not a measurement:
``benchmarks/gpu_check.py`` times one seed of every colab task on a GPU and projects the
whole preset from that.

    PYTHONPATH=. python benchmarks/colab_sizing.py [--threads 2] [--tflops 4] [--repeats 5]
"""
from __future__ import annotations

import argparse
import statistics
import time
from collections import Counter

import pandas as pd
import torch
from torch.utils.flop_counter import FlopCounterMode

from hemlab.data import long_tailed_counts
from hemlab.experiments import plan
from hemlab.models import create_model
from hemlab.tasks import RunSpec, task_settings
from hemlab.tasks.fit import num_classes_of

PRESET = "colab"
SEEDS = 5


def _flops(model: torch.nn.Module, inputs: torch.Tensor, backward: bool) -> float:
    with FlopCounterMode(display=False) as counter:
        output = model(inputs)
        if backward:
            output.float().sum().backward()
    return counter.get_total_flops() / len(inputs)


def _models() -> dict[str, tuple[torch.nn.Module, tuple[int, ...], int]]:
    """name -> (model, one input's shape, training batch size) for the colab preset's models."""
    classifier, segmentation = task_settings(PRESET, "clean_corrupt"), task_settings(PRESET, "segmentation")
    side = dict(segmentation.dataset_options)["image_size"]
    classes = dict(segmentation.dataset_options)["num_classes"]
    return {
        "resnet20": (create_model(classifier.model, 10, seed=0), (3, 32, 32), classifier.train.batch_size),
        "unet": (create_model(segmentation.model, classes, seed=0, **dict(segmentation.model_options)),
                 (3, side, side), segmentation.train.batch_size),
    }


def per_image_flops() -> pd.DataFrame:
    rows = []
    for name, (model, shape, _) in _models().items():
        inputs = torch.rand(2, *shape)
        rows.append({"model": name, "train_mflops": _flops(model, inputs, True) / 1e6,
                     "eval_mflops": _flops(model.eval(), inputs, False) / 1e6})
        model.train()
    return pd.DataFrame(rows)


def _step_seconds(model: torch.nn.Module, shape: tuple[int, ...], batch: int, train: bool) -> float:
    inputs = torch.rand(batch, *shape)
    if inputs.ndim == 4:
        model = model.to(memory_format=torch.channels_last)
        inputs = inputs.contiguous(memory_format=torch.channels_last)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    started = time.perf_counter()
    if train:
        model.train()
        output = model(inputs)
        optimizer.zero_grad()
        output.float().square().mean().backward()
        optimizer.step()
    else:
        with torch.no_grad():
            model.eval()(inputs)
    return time.perf_counter() - started


def per_step_cpu(repeats: int) -> pd.DataFrame:
    """Median seconds per training step and evaluation batch, interleaved with the MLP baseline."""
    quick = task_settings("quick", "clean_corrupt")
    cases = dict(_models())
    cases["mlp (quick)"] = (create_model("mlp", 10, seed=0, image_size=16), (1, 16, 16), quick.train.batch_size)
    seconds: dict[tuple[str, str], list[float]] = {}
    for _ in range(repeats + 1):
        for name, (model, shape, batch) in cases.items():
            for kind, size, train in (("train", batch, True), ("eval", 512, False)):
                seconds.setdefault((name, kind), []).append(_step_seconds(model, shape, size, train))
    rows = []
    for (name, kind), values in seconds.items():
        median = statistics.median(values[1:])
        batch = cases[name][2] if kind == "train" else 512
        rows.append({"model": name, "step": kind, "batch": batch, "seconds": median, "images_per_s": batch / median})
    table = pd.DataFrame(rows)
    baseline = table[(table["model"] == "mlp (quick)") & (table["step"] == "train")]["seconds"].iloc[0]
    return table.assign(vs_mlp_train_step=table["seconds"] / baseline)


def work_per_run(task: str) -> dict[str, float]:
    """Images trained, images evaluated and attack passes of one colab run of ``task`` (module doc)."""
    settings = task_settings(PRESET, task)
    options = dict(settings.dataset_options)
    epochs = settings.train.epochs
    if task == "segmentation":
        n_train = options["n_images"]
        return {"trained": n_train * epochs, "evaluated": max(16, n_train // 4), "attack_passes": 0}
    n_train, n_test = options["n_train"], options["n_test"]
    classes = num_classes_of(RunSpec(task, settings.dataset, settings.model, "ce", (), 0, PRESET), settings)
    per_class_train, per_class_test = n_train / classes, n_test / classes
    trained, evaluated, attack = n_train * epochs, n_test * epochs + n_test, 0.0
    if task == "clean_corrupt":
        evaluated += n_test * len(settings.corruptions) * len(settings.severities)
    elif task == "ood":
        known = classes - len(settings.held_out_classes)
        trained, evaluated = per_class_train * known * epochs, per_class_test * known * (epochs + 1)
        evaluated += per_class_test * len(settings.held_out_classes) + len(settings.far_ood) * min(per_class_test * known, 2000)
    elif task == "adversarial":
        samples = min(settings.attack_samples or n_test, n_test)
        suite = 1 + 3 * settings.attack_steps                  # FGSM, then PGD with ce, margin and dlr
        attack = len(settings.eps) * samples * suite
        evaluated += len(settings.eps) * samples * 4
    elif task == "imbalanced":
        trained = sum(int(long_tailed_counts(classes, int(per_class_train), ratio).sum()) * epochs
                      for ratio in settings.imbalance_ratios)
        evaluated = len(settings.imbalance_ratios) * n_test * (epochs + 1)
    elif task == "continual":
        stages, per_stage = settings.n_tasks, classes // settings.n_tasks
        trained = evaluated = 0.0
        for protocol in settings.protocols:
            for stage in range(stages):
                replay = settings.replay_per_class * per_stage * stage if protocol == "replay" else 0
                trained += (per_class_train * per_stage + replay) * epochs
                evaluated += per_class_test * per_stage * epochs + n_test
            evaluated += 2 * n_test
    return {"trained": trained, "evaluated": evaluated, "attack_passes": attack}


def per_preset(flops: pd.DataFrame, cpu: pd.DataFrame, tflops: float) -> pd.DataFrame:
    runs = Counter(spec.task for spec in plan(PRESET, seeds=SEEDS))
    per_model = flops.set_index("model")
    cpu_rate = {name: float(cpu[(cpu["model"] == name) & (cpu["step"] == "train")]["images_per_s"].iloc[0])
                for name in per_model.index}
    rows = []
    for task, count in runs.items():
        model = "unet" if task == "segmentation" else "resnet20"
        work = work_per_run(task)
        train_flops, eval_flops = per_model.loc[model, "train_mflops"] * 1e6, per_model.loc[model, "eval_mflops"] * 1e6
        run_flops = (work["trained"] + work["attack_passes"]) * train_flops + work["evaluated"] * eval_flops
        train_equivalent = run_flops / train_flops
        rows.append({"task": task, "runs": count, **{key: round(value) for key, value in work.items()},
                     "tflop_per_run": run_flops / 1e12, "t4_s_per_run": run_flops / (tflops * 1e12),
                     "cpu_s_per_run": train_equivalent / cpu_rate[model]})
    table = pd.DataFrame(rows)
    table["t4_minutes_all_runs"] = table["runs"] * table["t4_s_per_run"] / 60
    table["cpu_hours_all_runs"] = table["runs"] * table["cpu_s_per_run"] / 3600
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2, help="torch threads for the CPU timing (default 2)")
    parser.add_argument("--tflops", type=float, default=4.0, help="assumed effective TFLOP/s of a T4 (default 4)")
    parser.add_argument("--repeats", type=int, default=5, help="timed steps per case (default 5, after one warm-up)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    flops = per_image_flops()
    print("FLOPs per image\n" + flops.to_string(index=False, float_format="{:.1f}".format))
    cpu = per_step_cpu(args.repeats)
    print(f"\nper step on this CPU ({args.threads} threads, median of {args.repeats})\n"
          + cpu.to_string(index=False, float_format="{:.3f}".format))
    table = per_preset(flops, cpu, args.tflops)
    print(f"\nper run and preset ({SEEDS} seeds, margin sweep; T4 at {args.tflops:g} effective TFLOP/s)\n"
          + table.to_string(index=False, float_format="{:.2f}".format))
    print(f"\ncolab preset: {int(table['runs'].sum())} runs, {table['tflop_per_run'].mul(table['runs']).sum():.0f} "
          f"TFLOP; T4 estimate {table['t4_minutes_all_runs'].sum():.0f} minutes; this CPU "
          f"{table['cpu_hours_all_runs'].sum():.1f} hours")


if __name__ == "__main__":
    main()
