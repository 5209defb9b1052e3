"""Write the README's result tables from a fresh quick sweep: ``make readme``.

``make readme`` runs ``hemlab paper --preset quick`` (the runs already stored are reused),
then this script, which replaces the text between each pair of markers in ``README.md``::

    <!-- generated: NAME -->
    ...
    <!-- end generated: NAME -->

with the table ``NAME`` built from ``<results>/quick`` (``summary.csv``, ``verdicts.csv``
and the run records):

- ``run``: when, on which machine (the records' ``machine``: CPU, instruction set, torch,
  threads) and how many runs;
- ``headlines``: task x loss, the headline metric as mean ± std over seeds;
- ``verdicts``: one row per claim (difference with its 95% interval, Holm-adjusted p-values,
  seeds needed, verdict, why, the margins at which the verdict holds);
- ``margins``: each task's headline for HEM at every margin of the sweep.

It also copies the run's figures the README shows (``summary.png``, ``margin_sweep.png``,
``ranks.png`` into ``docs/*_quick.png``), so tables and pictures come from the same run.
Nothing else in the README is touched; a README without a marker pair, or a results folder
without the sweep, is an error naming what is missing. ``--readme PATH`` writes another file
(the tests use a copy), ``--check`` only says whether the file is up to date (exit 1 if not).
"""
from __future__ import annotations

import argparse
import collections
import os
import re
import shutil
import sys
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent / "site"))
from build import difference_with_interval, markdown_table  # noqa: E402 - the site's own table formatting

from hemlab.experiments.store import ResultStore  # noqa: E402
from hemlab.stats.claims import headlines  # noqa: E402
from hemlab.stats.summary import headline_table  # noqa: E402
from hemlab.tasks.loss_labels import DEFAULT_LOSSES  # noqa: E402

PRESET = "quick"
FIGURES = {"summary.png": "summary_quick.png", "margin_sweep.png": "margin_sweep_quick.png", "ranks.png": "ranks_quick.png"}
"""The run's figures the README shows, and their names under ``docs/``."""
MARKER = re.compile(r"(<!-- generated: (?P<name>[a-z_]+) -->\n)(?P<body>.*?)(<!-- end generated: (?P=name) -->)",
                    re.DOTALL)


def _p_pair(row: pd.Series) -> str:
    values = [row["p_support_adj"], row["p_contradict_adj"]]
    return "" if any(value != value for value in values) else " / ".join(f"{value:.2g}" for value in values)


def _seeds_needed(value: float) -> str:
    if value != value:
        return ""
    return "> 1000" if value > 1000 else str(int(value))


def verdict_table(verdicts: pd.DataFrame) -> str:
    """The verdict rows as a Markdown table (one row per claim, in the claims' order)."""
    rows = []
    for _, row in verdicts.iterrows():
        ratio = str(row["metric"]).endswith("ratio")
        difference = difference_with_interval(row["diff_mean"], row["diff_ci_low"], row["diff_ci_high"],
                                              signed=not ratio)
        compared = f"{row['subject']} {'/' if ratio else '−'} {row['comparator']}"
        rows.append({"#": row["claim"], "the paper's claim": row["statement"], "compared": compared,
                     "difference [95% interval]": ("time ratio " if ratio else "") + difference.replace("-", "−"),
                     "Holm-adjusted p (support / contradict)": _p_pair(row),
                     "seeds needed": _seeds_needed(row["seeds_needed"]), "verdict": row["verdict"],
                     "why": "" if row["why"] != row["why"] else row["why"],
                     "holds for margins": "" if row["holds_for_margins"] != row["holds_for_margins"]
                     else row["holds_for_margins"]})
    return markdown_table(pd.DataFrame(rows))


def headlines_table(summary: pd.DataFrame) -> str:
    """Task x default loss: the headline metric, mean ± std over seeds, HEM in bold."""
    table = headline_table(summary, PRESET)
    table = table[[name for name in DEFAULT_LOSSES if name in table.columns]]
    if "hem" in table.columns:
        table["hem"] = [f"**{value}**" if value else value for value in table["hem"]]
    names = {f"{task} ({head.metric})": f"{task} ({head.metric.replace('_', ' ')} @ {head.condition})"
             for task, head in headlines(PRESET).items()}
    table.index = [names.get(index, index) for index in table.index]
    return markdown_table(table.rename_axis("task (headline)").reset_index())


def margins_table(summary: pd.DataFrame) -> str:
    """Task x HEM margin: each task's headline for ``hem`` and every ``hem:margin=...`` label."""
    table = headline_table(summary, PRESET, variants=True)
    columns = ["hem", *sorted((label for label in table.columns if label.startswith("hem:margin=")),
                              key=lambda label: float(label.split("=")[1]))]
    table = table[[label for label in columns if label in table.columns]]
    table.index = [index.split(" (")[0] for index in table.index]
    return markdown_table(table.rename_axis("task").reset_index())


def run_line(store: ResultStore) -> str:
    """One line: the run's date, machine and size, read from the stored records."""
    machines, dates, count = collections.Counter(), [], 0
    for record in store.records(PRESET):
        count += 1
        machine = record.get("machine") or {}
        machines[(machine.get("cpu", "unknown CPU"), machine.get("cpu_capability", "?"), machine.get("torch", "?"),
                  machine.get("threads", "?"), machine.get("device", "?"))] += 1
    for path in (store.root / PRESET).glob("*/*.json"):
        dates.append(path.stat().st_mtime)
    if not count:
        raise SystemExit(f"readme_tables: no runs of the {PRESET} preset under {store.root}; run `make demo` first")
    described = "; ".join(f"{cpu} ({capability}), torch {torch}, {threads} thread(s) per run, {device}"
                          + (f" ({runs} runs)" if len(machines) > 1 else "")
                          for (cpu, capability, torch, threads, device), runs in machines.most_common())
    day = pd.Timestamp(max(dates), unit="s").strftime("%Y-%m-%d")
    return f"Generated by `make readme` from {count} runs finished by {day} on {described}.\n"


def tables(results: Path) -> dict[str, str]:
    """Every generated section's text, from ``results`` (the folder holding ``quick/``)."""
    folder = results / PRESET
    missing = [name for name in ("summary.csv", "verdicts.csv") if not (folder / name).exists()]
    if missing:
        raise SystemExit(f"readme_tables: {folder} lacks {', '.join(missing)}; run `make demo` first")
    summary, verdicts = pd.read_csv(folder / "summary.csv"), pd.read_csv(folder / "verdicts.csv")
    return {"run": run_line(ResultStore(results)), "headlines": headlines_table(summary) + "\n",
            "verdicts": verdict_table(verdicts) + "\n", "margins": margins_table(summary) + "\n"}


def rewrite(text: str, sections: dict[str, str]) -> str:
    """``text`` with the body of every marker pair replaced by its section; ``SystemExit``
    naming a section without markers."""
    found = {match.group("name") for match in MARKER.finditer(text)}
    absent = sorted(set(sections) - found)
    if absent:
        raise SystemExit(f"readme_tables: the README has no markers for {', '.join(absent)} "
                         f"(<!-- generated: NAME --> ... <!-- end generated: NAME -->)")
    return MARKER.sub(lambda match: match.group(1) + sections.get(match.group("name"), match.group("body"))
                      + match.group(4), text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--results", type=Path, default=Path(os.environ.get("HEMLAB_RESULTS", "results")))
    parser.add_argument("--readme", type=Path, default=Path(__file__).resolve().parents[1] / "README.md")
    parser.add_argument("--check", action="store_true", help="exit 1 if the README is not what it would write")
    args = parser.parse_args(argv)
    before = args.readme.read_text()
    after = rewrite(before, tables(args.results))
    if args.check:
        print("README tables are up to date" if after == before else "README tables differ from the results")
        return 0 if after == before else 1
    if after != before:
        temporary = args.readme.with_suffix(".md.tmp")
        temporary.write_text(after)
        os.replace(temporary, args.readme)
    for source, target in FIGURES.items():
        figure, destination = args.results / PRESET / source, args.readme.parent / "docs" / target
        if figure.exists() and destination.parent.is_dir():
            shutil.copyfile(figure, destination.with_suffix(".tmp"))
            os.replace(destination.with_suffix(".tmp"), destination)
    print(f"wrote {len(MARKER.findall(after))} generated sections into {args.readme}, and its figures into docs/")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
