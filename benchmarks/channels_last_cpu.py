"""Does ``channels_last`` pay on the CPU? Training-step and eval-pass time of each
convolutional hemlab model with its weights and inputs in torch's default (contiguous)
layout against ``channels_last``, alternating the two, on random data.

``hemlab.train`` uses ``channels_last`` on the CPU for models with 2-D convolutions
because every model here trained faster with it; the ratio column is
``channels_last / contiguous`` (below 1: channels_last is faster). Times are the
process's CPU time per step (one thread by default), the median over ``--repeats``.

    python benchmarks/channels_last_cpu.py
    python benchmarks/channels_last_cpu.py --models cifar_cnn --repeats 5 --threads 4
"""
from __future__ import annotations

import argparse
import statistics
import time

import pandas as pd
import torch
from torch import nn

from hemlab.models import create_model
from hemlab.runtime import configure_threads

# model -> (classes, input channels, image size, batch size, dense targets)
CASES = {
    "digits_cnn": (10, 1, 8, 128, False),
    "cifar_cnn": (10, 3, 32, 64, False),
    "resnet18": (10, 3, 32, 16, False),
    "unet": (4, 3, 32, 16, True),
}


def step_seconds(name: str, channels_last: bool, steps: int) -> tuple[float, float]:
    """CPU seconds per SGD training step and per eval forward pass."""
    classes, channels, size, batch, dense = CASES[name]
    torch.manual_seed(0)
    layout = torch.channels_last if channels_last else torch.contiguous_format
    model = create_model(name, classes, channels).to(memory_format=layout)
    images = torch.rand(batch, channels, size, size).contiguous(memory_format=layout)
    targets = torch.randint(0, classes, (batch, size, size) if dense else (batch,))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()

    def train_steps(count: int) -> None:
        for _ in range(count):
            loss = loss_fn(model(images), targets)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()

    train_steps(1)
    started = time.process_time()
    train_steps(steps)
    train_seconds = (time.process_time() - started) / steps
    model.eval()
    with torch.no_grad():
        model(images)
        started = time.process_time()
        for _ in range(steps):
            model(images)
    return train_seconds, (time.process_time() - started) / steps


def measure(name: str, steps: int, repeats: int) -> dict:
    times: dict[bool, list[tuple[float, float]]] = {False: [], True: []}
    for _ in range(repeats):
        for channels_last in (False, True):
            times[channels_last].append(step_seconds(name, channels_last, steps))
    train = {layout: statistics.median(t for t, _ in runs) for layout, runs in times.items()}
    evaluate = {layout: statistics.median(e for _, e in runs) for layout, runs in times.items()}
    return {"model": name, "batch_size": CASES[name][3],
            "train_ms_contiguous": 1e3 * train[False], "train_ms_channels_last": 1e3 * train[True],
            "train_ratio": train[True] / train[False],
            "eval_ms_contiguous": 1e3 * evaluate[False], "eval_ms_channels_last": 1e3 * evaluate[True],
            "eval_ratio": evaluate[True] / evaluate[False]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", nargs="+", default=list(CASES), choices=list(CASES))
    parser.add_argument("--steps", type=int, default=3, help="timed steps per measurement (default: 3)")
    parser.add_argument("--repeats", type=int, default=3, help="alternating measurements per layout (default: 3)")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads (default: 1)")
    arguments = parser.parse_args()
    threads = configure_threads(arguments.threads)
    print(f"cpu, {threads} thread(s); torch {torch.__version__}; "
          f"median of {arguments.repeats} x {arguments.steps} steps")
    rows = [measure(name, arguments.steps, arguments.repeats) for name in arguments.models]
    print(pd.DataFrame(rows).to_string(index=False, float_format=lambda value: f"{value:.2f}"))


if __name__ == "__main__":
    main()
