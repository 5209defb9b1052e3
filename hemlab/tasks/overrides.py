"""Your settings: changes to a preset's rows, from ``--set FIELD=VALUE`` or a TOML file.

A *path* names one setting: a field of ``TaskSettings`` (``imbalance_ratios``), a field of
its ``TrainConfig`` (``train.epochs``), either one prefixed by a task name to change that
task only (``imbalanced.train.epochs``). Values are read against the field's type, so
``train.epochs=30`` is an integer, ``imbalance_ratios=10,50`` a tuple of floats,
``model_options=width=16`` a tuple of pairs (``dataset_options.image_size=32`` changes one
pair of ``dataset_options`` or ``model_options`` and keeps the others), ``attack_samples=none`` None::

    overrides = parse_assignments(["train.epochs=2", "imbalanced.imbalance_ratios=10,50"])
    resolve_settings("quick", "imbalanced", task_overrides(overrides, "imbalanced"))

A config file derives a preset from ``quick``, ``colab`` or ``paper``; top-level keys change every
task, a ``[tasks.NAME]`` table one task::

    preset = "quick"
    train = { epochs = 2 }
    [tasks.imbalanced]
    imbalance_ratios = [10, 50]

Every value is checked here, before any run starts; an error is one ``ValueError`` line
naming the path and what it accepts. The field lists are read from the dataclasses, so a
field added to ``TaskSettings`` or ``TrainConfig`` can be set without changes here.
"""
from __future__ import annotations

import math
import tomllib
import types
import typing
from dataclasses import fields, replace
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence, Union

from hemlab.tasks.loss_labels import read_word
from hemlab.tasks.names import PRESET_NAMES, TASK_NAMES
from hemlab.tasks.presets import task_settings
from hemlab.tasks.settings import TaskSettings
from hemlab.train import TrainConfig

Override = tuple[str, Any]
Overrides = tuple[Override, ...]

_FIXED = {"train.seed": "each run's seed (--seeds) sets it"}
OPTION_FIELDS: tuple[str, ...] = ("dataset_options", "model_options")
"""The settings that hold ``(option, value)`` pairs, whose options ``FIELD.option`` sets one by one."""


def _option_path(path: str) -> tuple[str, str] | None:
    """``("dataset_options", "image_size")`` for ``"dataset_options.image_size"``; None otherwise."""
    head, dot, key = path.partition(".")
    return (head, key) if dot and head in OPTION_FIELDS and key.isidentifier() else None


def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def setting_types() -> dict[str, Any]:
    """``{path: type}`` of every setting: ``TaskSettings`` fields and ``train.<TrainConfig field>``."""
    task_hints, train_hints = _hints(TaskSettings), _hints(TrainConfig)
    paths = {f.name: task_hints[f.name] for f in fields(TaskSettings) if f.name != "train"}
    paths.update({f"train.{f.name}": train_hints[f.name] for f in fields(TrainConfig)
                  if f"train.{f.name}" not in _FIXED})
    return paths


def _describe(hint: Any) -> str:
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (Union, types.UnionType):
        return " or ".join("none" if arg is type(None) else _describe(arg) for arg in args)
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            inner = typing.get_args(args[0])
            if typing.get_origin(args[0]) is tuple and len(inner) == 2:
                return "comma-separated key=value pairs"
            return f"a comma-separated list of {_describe(args[0]).removeprefix('an ').removeprefix('a ')}s"
        return f"{len(args)} comma-separated values ({', '.join(_describe(arg) for arg in args)})"
    return {bool: "true or false", int: "an integer", float: "a number", str: "a word"}.get(hint, str(hint))


def _scalar(value: Any, hint: Any) -> Any:
    """``value`` (text or a TOML value) as ``hint``; ``ValueError`` when it is not one."""
    if hint is Any:
        return read_word(value) if isinstance(value, str) else value
    if hint is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in ("true", "false"):
            return value.strip().lower() == "true"
    elif hint is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str):
            return int(value.strip())
    elif hint is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            number = float(value)
        elif isinstance(value, str):
            number = float(value.strip())
        else:
            raise ValueError(value)
        if not math.isfinite(number):
            raise ValueError(value)
        return number
    elif hint is str:
        if isinstance(value, str) and value.strip():
            return value.strip()
    raise ValueError(value)


def _items(value: Any) -> list[Any]:
    if isinstance(value, Mapping):
        return list(value.items())
    if isinstance(value, (list, tuple)):
        return list(value)
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    raise ValueError(value)


def _convert(value: Any, hint: Any) -> Any:
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (Union, types.UnionType):
        if type(None) in args and (value is None or (isinstance(value, str) and value.strip().lower() == "none")):
            return None
        for arg in (arg for arg in args if arg is not type(None)):
            try:
                return _convert(value, arg)
            except ValueError:
                continue
        raise ValueError(value)
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_convert(item, args[0]) for item in _items(value))
        if typing.get_args(hint) and len(args) == 2 and isinstance(value, str) and "=" in value and "," not in value:
            key, _, text = value.partition("=")
            return (_convert(key, args[0]), _convert(text, args[1]))
        items = _items(value)
        if len(items) != len(args):
            raise ValueError(value)
        return tuple(_convert(item, arg) for item, arg in zip(items, args))
    return _scalar(value, hint)


def convert_setting(path: str, value: Any) -> Any:
    """``value`` (text from ``--set`` or a TOML value) read as setting ``path``'s type.

    ``ValueError`` naming the path and what it accepts (an unknown path lists the known ones).
    """
    if path in _FIXED:
        raise ValueError(f"{path}: cannot be set; {_FIXED[path]}")
    if _option_path(path):
        if isinstance(value, str):
            if not value.strip():
                raise ValueError(f"{path}: expected a number or a word, got {value!r}")
            return read_word(value)
        return tuple(value) if isinstance(value, list) else value
    types_by_path = setting_types()
    if path not in types_by_path:
        raise ValueError(f"settings: expected a field of TaskSettings or train.<field> of TrainConfig, optionally "
                         f"prefixed by a task ({', '.join(TASK_NAMES)}), got {path!r}; fields: "
                         f"{', '.join(types_by_path)}")
    hint = types_by_path[path]
    try:
        return _convert(value, hint)
    except ValueError:
        raise ValueError(f"{path}: expected {_describe(hint)}, got {value!r}") from None


def _split_task(path: str) -> tuple[str | None, str]:
    head, dot, rest = path.partition(".")
    return (head, rest) if dot and head in TASK_NAMES else (None, path)


def canonical_overrides(overrides: Iterable[Override]) -> Overrides:
    """Checked, converted overrides (paths may carry a task prefix); a path given twice keeps
    its last value; the order is kept (later ones win when applied)."""
    checked: dict[str, Any] = {}
    for path, value in overrides:
        if not isinstance(path, str):
            raise ValueError(f"settings: expected a setting name such as train.epochs, got {path!r}")
        _, field_path = _split_task(path)
        checked.pop(path, None)
        checked[path] = convert_setting(field_path, value)
    return tuple(checked.items())


def parse_assignments(texts: Sequence[str]) -> Overrides:
    """``["train.epochs=30", "ood.held_out_classes=7,8,9"]`` -> checked overrides."""
    pairs = []
    for text in texts:
        path, equals, value = text.partition("=")
        if not equals or not path.strip():
            raise ValueError(f"--set: expected FIELD=VALUE (e.g. train.epochs=30), got {text!r}")
        pairs.append((path.strip(), value))
    return canonical_overrides(pairs)


def _flatten(table: Mapping[str, Any], prefix: str = "") -> list[Override]:
    pairs: list[Override] = []
    for key, value in table.items():
        path = f"{prefix}{key}"
        if key == "train" and isinstance(value, Mapping):
            pairs += _flatten(value, f"{path}.")
        else:
            pairs.append((path, value))
    return pairs


def load_config(path: str | Path) -> tuple[str | None, Overrides]:
    """``(preset, overrides)`` of a TOML config file (module docstring); the preset is None
    when the file names none. ``ValueError`` naming the file and the bad entry."""
    path = Path(path)
    try:
        document = tomllib.loads(path.read_text())
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise ValueError(f"--config: expected a readable TOML file, got {str(path)!r} ({error})") from None
    preset = document.pop("preset", None)
    if preset is not None and preset not in PRESET_NAMES:
        raise ValueError(f"--config {path.name}: preset: expected one of {', '.join(PRESET_NAMES)}, got {preset!r}")
    tasks = document.pop("tasks", {})
    if not isinstance(tasks, Mapping) or not all(isinstance(value, Mapping) for value in tasks.values()):
        raise ValueError(f"--config {path.name}: tasks: expected tables [tasks.NAME], got {tasks!r}")
    unknown = sorted(set(tasks) - set(TASK_NAMES))
    if unknown:
        raise ValueError(f"--config {path.name}: tasks: expected names from {', '.join(TASK_NAMES)}, got {unknown}")
    pairs = _flatten(document) + [pair for task, table in tasks.items() for pair in _flatten(table, f"{task}.")]
    try:
        return preset, canonical_overrides(pairs)
    except ValueError as error:
        raise ValueError(f"--config {path.name}: {error}") from None


def task_overrides(overrides: Iterable[Override], task: str) -> Overrides:
    """The overrides that apply to ``task``, without their task prefix: the general ones,
    then those prefixed by ``task`` (which therefore win)."""
    general, specific = [], []
    for path, value in overrides:
        target, field_path = _split_task(path)
        if target is None:
            general.append((field_path, value))
        elif target == task:
            specific.append((field_path, value))
    return canonical_overrides(general + specific)


def apply_overrides(settings: TaskSettings, overrides: Iterable[Override]) -> TaskSettings:
    """``settings`` with ``overrides`` (task prefixes already removed) applied in order.

    ``ValueError`` naming the path when ``TrainConfig`` refuses the new value."""
    task_changes: dict[str, Any] = {}
    train_changes: dict[str, Any] = {}
    for path, value in overrides:
        option = _option_path(path)
        if path.startswith("train."):
            train_changes[path.removeprefix("train.")] = value
        elif option:
            field, key = option
            pairs = dict(task_changes.get(field, getattr(settings, field)))
            task_changes[field] = tuple({**pairs, key: value}.items())
        else:
            task_changes[path] = value
    if train_changes:
        try:
            task_changes["train"] = replace(settings.train, **train_changes)
        except ValueError as error:
            raise ValueError(f"train.{error}") from None
    return replace(settings, **task_changes)


def resolve_settings(preset: str, task: str, overrides: Iterable[Override] = ()) -> TaskSettings:
    """``task``'s row of ``preset`` with ``overrides`` (no task prefixes) applied."""
    return apply_overrides(task_settings(preset, task), overrides)


__all__ = ["Override", "Overrides", "apply_overrides", "canonical_overrides", "convert_setting", "load_config",
           "parse_assignments", "resolve_settings", "setting_types", "task_overrides"]
