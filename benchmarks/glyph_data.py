"""Generation time of the ``glyphs`` dataset, and how hard it is for the quick preset's MLP.

Times the glyph bank (rendered once per process and image size), then ``load_glyphs`` with
its defaults (16000 train + 5000 test images; median of ``--repeats`` runs with new seeds), at
16x16 and at 28x28, and once more from the process cache. With ``--train`` it then trains the
quick preset's MLP (``create_model("mlp", 10, image_size=16)``) with each loss of ``--losses``
under the quick ``TrainConfig`` (AdamW 3e-3, cosine, 12 epochs, batch 64) and an SGD one (lr
``--sgd-lr``, momentum 0.9, weight decay 5e-4, cosine, 12 epochs, batch 64), for each seed,
and prints the clean test accuracy and the median seconds per epoch. Nuisance options are
passed as ``--option name=value``.

    python benchmarks/glyph_data.py                                  # generation only, seconds
    python benchmarks/glyph_data.py --train --losses ce hem mm --seeds 0 1 2 --threads 1   # minutes
"""
from __future__ import annotations

import argparse
import statistics
import time
from dataclasses import replace

import torch

from hemlab.data.glyphs import DIGITS, SUPERSAMPLING, glyph_bank, load_glyphs
from hemlab.losses import create_loss
from hemlab.models import create_model
from hemlab.tasks.presets import task_settings
from hemlab.train import train


def _seconds(action) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def _option(text: str) -> tuple[str, float]:
    name, equals, value = text.partition("=")
    if not equals:
        raise argparse.ArgumentTypeError(f"--option: expected name=value, got {text!r}")
    return name, float(value)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3, help="warm generation runs timed (default 3)")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's)")
    parser.add_argument("--option", type=_option, action="append", default=[], help="nuisance option name=value")
    parser.add_argument("--train", action="store_true", help="also train the quick MLP (minutes)")
    parser.add_argument("--losses", nargs="+", default=["ce"])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0])
    parser.add_argument("--sgd-lr", type=float, default=0.05)
    arguments = parser.parse_args()
    if arguments.threads:
        torch.set_num_threads(arguments.threads)
    options = dict(arguments.option)
    print(f"torch threads: {torch.get_num_threads()}; options: {options or 'defaults'}")
    for size in (16, 28):
        cold = _seconds(lambda: glyph_bank(DIGITS, SUPERSAMPLING * size))
        warm = statistics.median(_seconds(lambda: load_glyphs(image_size=size, seed=repeat, **options))
                                 for repeat in range(arguments.repeats))
        cached = _seconds(lambda: load_glyphs(image_size=size, seed=0, **options))
        print(f"{size}x{size}: glyph bank {cold:.2f} s (once per process), 16000 + 5000 images {warm:.2f} s, "
              f"again from the process cache {cached:.3f} s")
    if not arguments.train:
        return
    train_set, test_set = load_glyphs(**options)
    quick = task_settings("quick", "clean_corrupt").train
    configs = {"adamw (quick)": quick,
               f"sgd {arguments.sgd_lr:g}": replace(quick, optimizer="sgd", lr=arguments.sgd_lr, momentum=0.9,
                                                     weight_decay=5e-4)}
    print(f"{'config':14s} {'loss':5s} seed  accuracy  s/epoch")
    for config_name, config in configs.items():
        for loss in arguments.losses:
            for seed in arguments.seeds:
                model = create_model("mlp", 10, in_channels=1, image_size=16, seed=seed)
                history = train(model, create_loss(loss), train_set, config, eval_data=test_set, seed=seed,
                                device="cpu", progress=False)
                print(f"{config_name:14s} {loss:5s} {seed:4d}  {history['eval_accuracy'].iloc[-1]:.4f}"
                      f"  {history['seconds'].median():7.2f}", flush=True)


if __name__ == "__main__":
    main()
