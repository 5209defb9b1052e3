"""Command line: ``hemlab demo`` and ``hemlab losses``.

    hemlab demo [--losses ce hem] [--epochs N] [--out results]
    hemlab losses
"""
from __future__ import annotations

import argparse
import sys
from typing import Sequence

import pandas as pd


def _losses_table() -> pd.DataFrame:
    from hemlab.losses import LOSSES

    return pd.DataFrame([
        {"name": info.name, "loss": info.title, "defaults": dict(info.defaults) or "",
         "required": ", ".join(info.required), "reference": info.reference}
        for info in LOSSES.values()
    ])


def _list_losses(args: argparse.Namespace) -> int:
    print(_losses_table().to_string(index=False))
    return 0


def _demo(args: argparse.Namespace) -> int:
    from hemlab.demo import run_demo
    from hemlab.losses import available_losses
    from hemlab.runtime import results_root

    unknown = [name for name in args.losses if name not in available_losses()]
    if unknown:
        print(f"error: --losses: unknown {unknown}; expected names from {available_losses()}", file=sys.stderr)
        return 2
    out_dir = args.out or results_root()
    table = run_demo(args.losses, epochs=args.epochs, out_dir=out_dir, device=args.device,
                     progress=not args.quiet)
    print(table.to_string(index=False, float_format=lambda value: f"{value:.4f}"))
    print(f"wrote {out_dir}/digits_demo.csv and {out_dir}/digits_demo_curves.png")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="hemlab", description="A lab for margin-based losses built around HEM.")
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser("demo", help="train on embedded digits with HEM and cross-entropy; table and curves")
    demo.add_argument("--losses", nargs="+", default=["ce", "hem"], help="loss names (default: ce hem)")
    demo.add_argument("--epochs", type=int, default=None, help="epochs (default: 8 in quick mode, else 30)")
    demo.add_argument("--out", default=None, help="output folder (default: $HEMLAB_RESULTS or results/)")
    demo.add_argument("--device", default="auto", help="auto, cpu, cuda or mps")
    demo.add_argument("--quiet", action="store_true", help="no progress bars")
    demo.set_defaults(handler=_demo)
    listing = commands.add_parser("losses", help="list the losses and their defaults")
    listing.set_defaults(handler=_list_losses)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.handler(args)


if __name__ == "__main__":
    raise SystemExit(main())
