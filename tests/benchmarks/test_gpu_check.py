"""benchmarks/gpu_check.py: its ``--smoke`` CPU dry run reports every section in the JSON and
the text table; the estimate and packing rules it reports from."""
from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from hemlab.experiments import plan
from hemlab.tasks import TASK_NAMES
from hemlab.tasks.names import DEFAULT_SEEDS
from hemlab.tasks.presets import task_settings
from hemlab.tasks.settings import with_settings

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


@pytest.fixture(scope="module")
def gpu_check():
    """The module, imported as the script imports its neighbours (benchmarks/ on the path)."""
    sys.path.insert(0, str(BENCHMARKS))
    try:
        yield importlib.import_module("gpu_check")
    finally:
        sys.path.remove(str(BENCHMARKS))


@pytest.fixture(scope="module")
def smoke(tmp_path_factory) -> tuple[subprocess.CompletedProcess, Path]:
    """One ``--smoke`` run into a fresh folder: the finished process and the folder."""
    out = tmp_path_factory.mktemp("gpu_check")
    environment = {key: value for key, value in os.environ.items() if key != "OUT"}
    environment["PYTHONPATH"] = os.pathsep.join(filter(None, (str(BENCHMARKS.parent), environment.get("PYTHONPATH"))))
    environment["OMP_NUM_THREADS"] = "1"
    done = subprocess.run([sys.executable, str(BENCHMARKS / "gpu_check.py"), "--smoke", "--out", str(out)],
                          cwd=BENCHMARKS.parent, env=environment, capture_output=True, text=True, timeout=900)
    return done, out


def test_smoke_run_reports_every_section(smoke, gpu_check):
    done, out = smoke
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads((out / "gpu_check.json").read_text())
    assert report["environment"]["smoke"] is True and report["environment"]["device"] == "cpu"
    assert report["environment"]["missing_modules"] == []
    assert list(report["sections"]) == list(gpu_check.SECTIONS)
    for name, record in report["sections"].items():
        assert record["status"] == "ok", (name, record.get("error"), record.get("traceback_tail"))
        assert record["seconds"] > 0 and record["budget_s"] == gpu_check.SMOKE.budgets[name]
    table = (out / "gpu_check.txt").read_text().splitlines()
    for name in gpu_check.SECTIONS:
        assert sum(line.startswith(name + " ") for line in table) == 1, name


def test_smoke_sections_hold_their_numbers(smoke, gpu_check):
    sections = {name: record["result"] for name, record in
                json.loads((smoke[1] / "gpu_check.json").read_text())["sections"].items()}
    (tests,) = sections["tests"]["passes"]
    assert tests["status"] == "ran" and tests["failures"] == tests["errors"] == 0
    assert tests["tests"] > 0 and tests["skipped"] == tests["tests"]  # cuda-marked tests skip on the CPU

    rows = sections["loss_speed"]["rows"]
    assert [(tuple(row["shape"]), row["dtype"]) for row in rows] == [
        (shape, dtype) for dtype in gpu_check.SMOKE.loss_dtypes for shape in gpu_check.SMOKE.loss_shapes]
    for row in rows:
        assert row["ce_ms"] > 0 and set(row["ratio_to_ce"]) == {"CE mod", "HEM fn", "HEM mod"}
        assert row["peak_extra_bytes"]["ce"] > 0 and row["peak_extra_bytes"]["hem"] > 0

    throughput = sections["train_throughput"]
    assert throughput["paired"]["same_weights_each_pair"] == [True]  # the same work on the CPU
    assert throughput["paired"]["hemlab_img_per_s"] > 0 and throughput["paired"]["minimal_img_per_s"] > 0
    models = {task_settings("paper", "clean_corrupt").model, task_settings("paper", "segmentation").model}
    assert set(throughput["preset_models"]) == models
    assert [row["preset"] for row in throughput["run_200_epochs"]["rows"]] == [False, True]
    assert throughput["paper_preset"]["runs"] == len(plan("paper", seeds=DEFAULT_SEEDS))

    packing = sections["packing"]
    assert [row["runs"] for row in packing["rows"]] == list(gpu_check.SMOKE.packing_counts)
    assert all(row["status"] == "ran" and len(row["per_run_img_per_s"]) == row["runs"] for row in packing["rows"])
    assert packing["suggested_gpus_per_run"] in (1.0, 0.5)
    assert [phase["compile"] for phase in packing["compile"]["phases"]] == [None, "eager"]
    assert packing["compile"]["batch_size"] == gpu_check.SMOKE.batch_size and packing["compile"]["compiled_over_eager"] > 0

    seeds = sections["preset_seeds"]
    for preset in gpu_check.PROJECTED_PRESETS:
        rows = seeds[preset]["rows"]
        assert [row["task"] for row in rows] == list(TASK_NAMES) and all(row["status"] == "ran" for row in rows)
        assert seeds[preset]["runs"] == len(plan(preset, seeds=DEFAULT_SEEDS))
        assert seeds[preset]["projected_s"] == pytest.approx(sum(row["seconds"] * row["runs"] for row in rows))
    paper = sections["paper_quick"]
    assert paper["status"] == "ran" and paper["returncode"] == 0 and paper["wall_s"] > 0
    assert paper["runs_done"] == paper["runs_planned"] == gpu_check.SMOKE.quick_sweep.runs() == 1
    assert paper["command"].endswith("paper --preset quick --device cpu --seeds 1 --tasks ood --losses ce "
                                     "--no-margin-sweep --executor local --quiet")


def test_packing_suggestion_needs_a_gain_at_every_step(gpu_check):
    assert gpu_check.suggested_gpus_per_run({1: 100.0, 2: 180.0, 4: 300.0}) == 0.25
    assert gpu_check.suggested_gpus_per_run({1: 100.0, 2: 180.0, 4: 190.0}) == 0.5
    assert gpu_check.suggested_gpus_per_run({1: 100.0, 2: 105.0, 4: 300.0}) == 1.0


def test_fits_per_run_follow_the_preset(gpu_check):
    clean = task_settings("paper", "clean_corrupt")
    assert gpu_check.fits_per_run("clean_corrupt", clean) == [(clean.train.epochs, 50_000, 10_000)]
    ood = task_settings("paper", "ood")
    known = 10 - len(ood.held_out_classes)
    assert gpu_check.fits_per_run("ood", ood) == [(ood.train.epochs, known * 5000, known * 1000)]
    imbalanced = with_settings(task_settings("paper", "imbalanced"), imbalance_ratios=(1.0, 100.0))
    assert [images for _, images, _ in gpu_check.fits_per_run("imbalanced", imbalanced)] == [50_000, 12_406]
    continual = with_settings(task_settings("paper", "continual"), n_tasks=5, replay_per_class=20,
                              protocols=("replay", "finetune"))
    assert [images for _, images, _ in gpu_check.fits_per_run("continual", continual)] == [
        10_000, 10_040, 10_080, 10_120, 10_160] + [10_000] * 5
    with pytest.raises(ValueError, match="dataset: the estimate knows cifar10, voc, got 'glyphs'"):
        gpu_check.fits_per_run("clean_corrupt", task_settings("quick", "clean_corrupt"))


def test_paper_preset_seconds_scale_with_the_rates(gpu_check):
    rates = {model: {"train_img_per_s": 1000.0, "eval_img_per_s": 4000.0}
             for model in (task_settings("paper", task).model for task in ("clean_corrupt", "segmentation"))}
    slow = gpu_check.paper_preset_seconds(rates, seeds=1)
    fast = gpu_check.paper_preset_seconds({model: {key: 2 * value for key, value in rate.items()}
                                           for model, rate in rates.items()}, seeds=1)
    assert slow["runs"] == len(plan("paper", seeds=1)) == sum(entry["runs"] for entry in slow["per_task"].values())
    assert fast["serial_seconds"] == pytest.approx(slow["serial_seconds"] / 2)
    clean = task_settings("paper", "clean_corrupt")
    runs = slow["per_task"]["clean_corrupt"]["runs"]
    assert slow["per_task"]["clean_corrupt"]["seconds"] == pytest.approx(
        runs * clean.train.epochs * (50_000 / 1000 + 10_000 / 4000))


def test_a_failing_section_is_recorded_and_the_report_still_written(gpu_check, monkeypatch, tmp_path):
    def broken(settings, budget):
        raise RuntimeError("CUDA error: an illegal memory access was encountered\nmore detail")

    monkeypatch.setitem(gpu_check.SECTION_FUNCTIONS, "loss_speed", broken)
    record = gpu_check.run_section("loss_speed", gpu_check.SMOKE)
    assert record["status"] == "error" and "result" not in record
    assert record["error"] == "RuntimeError: CUDA error: an illegal memory access was encountered"
    assert "in broken" in record["traceback_tail"] and record["seconds"] >= 0
    report = {"environment": gpu_check.environment(gpu_check.SMOKE), "sections": {"loss_speed": record}}
    lines = gpu_check.write_report(report, tmp_path)
    assert any(line.startswith("loss_speed        error") and "illegal memory access" in line for line in lines)
    assert json.loads((tmp_path / "gpu_check.json").read_text())["sections"]["loss_speed"]["status"] == "error"

    report["sections"]["packing"] = {"status": "ok", "budget_s": 1.0, "seconds": 0.5, "result": {}}
    assert gpu_check.write_report(report, tmp_path) == [
        "the table could not be made (KeyError: 'batch_size'); see gpu_check.json"]
    assert set(json.loads((tmp_path / "gpu_check.json").read_text())["sections"]) == {"loss_speed", "packing"}


def test_the_real_check_runs_the_default_quick_sweep_on_cuda(gpu_check):
    sweep = gpu_check.CUDA.quick_sweep
    assert sweep.arguments("cuda") == ["--preset", "quick", "--device", "cuda", "--seeds", str(DEFAULT_SEEDS)]
    assert sweep.runs() == len(plan("quick", seeds=DEFAULT_SEEDS))
