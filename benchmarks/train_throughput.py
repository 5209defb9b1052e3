"""Training and evaluation throughput (images per second) of hemlab's training loop.

Runs ``hemlab.train.train`` (two epochs, the second timed, so CUDA warm-up and cuDNN
autotuning are left out) and ``hemlab.train.predict`` (timed after one warm-up pass) on
random 32x32 RGB images kept on the device, for the small CIFAR CNN and ResNet-18 with
the CIFAR stem. On CUDA the loop uses bf16 autocast and channels_last, as in real runs.

    python benchmarks/train_throughput.py                      # whatever device is present
    python benchmarks/train_throughput.py --device cuda --batch-size 256 --steps 50 --losses ce hem

The default run on a CPU (batch 32, 3 steps) takes well under a minute.
"""
from __future__ import annotations

import argparse
import time

import pandas as pd
import torch
from torch.utils.data import TensorDataset

from hemlab.losses import available_losses, create_loss
from hemlab.models import available_models, create_model
from hemlab.runtime import resolve_device
from hemlab.train import predict, train


def measure(model_name: str, loss_name: str, device: torch.device, batch_size: int, steps: int) -> dict:
    """Images per second for one model and loss: a training epoch and an evaluation pass."""
    count = batch_size * steps
    generator = torch.Generator().manual_seed(0)
    images = torch.rand(count, 3, 32, 32, generator=generator).to(device)
    labels = torch.randint(0, 10, (count,), generator=generator).to(device)
    data = TensorDataset(images, labels)
    torch.manual_seed(0)
    model = create_model(model_name, 10, 3)
    history = train(model, create_loss(loss_name), data, epochs=2, batch_size=batch_size, lr=0.01,
                    device=device, progress=False)
    predict(model, data, batch_size=batch_size)
    if device.type == "cuda":
        torch.cuda.synchronize()
    started = time.perf_counter()
    logits, _ = predict(model, data, batch_size=batch_size)
    float(logits.sum())
    eval_seconds = time.perf_counter() - started
    return {
        "model": model_name,
        "loss": loss_name,
        "batch_size": batch_size,
        "train_img_per_s": count / history["seconds"].iloc[-1],
        "eval_img_per_s": count / eval_seconds,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--device", default="auto", help="auto, cpu, cuda[:i] or mps (default: auto)")
    parser.add_argument("--batch-size", type=int, default=None, help="default: 256 on CUDA, 32 elsewhere")
    parser.add_argument("--steps", type=int, default=None, help="batches per timed epoch; default: 30 on CUDA, 3 elsewhere")
    parser.add_argument("--models", nargs="+", default=["cifar_cnn", "resnet18"], choices=available_models())
    parser.add_argument("--losses", nargs="+", default=["ce"], choices=available_losses())
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's choice)")
    arguments = parser.parse_args()

    device = resolve_device(arguments.device)
    on_cuda = device.type == "cuda"
    batch_size = arguments.batch_size or (256 if on_cuda else 32)
    steps = arguments.steps or (30 if on_cuda else 3)
    if batch_size < 1 or steps < 1:
        parser.error("--batch-size and --steps must be positive")
    if arguments.threads:
        torch.set_num_threads(arguments.threads)
    name = torch.cuda.get_device_name(device) if on_cuda else f"{device.type}, {torch.get_num_threads()} threads"
    print(f"device: {name}; torch {torch.__version__}; {steps} steps of {batch_size} images, 3x32x32")
    rows = [measure(model, loss, device, batch_size, steps) for model in arguments.models for loss in arguments.losses]
    print(pd.DataFrame(rows).to_string(index=False, float_format=lambda value: f"{value:,.0f}"))


if __name__ == "__main__":
    main()
