"""Named things built by a factory: the record shape and the checks losses, models and datasets share.

A :class:`Record` names a thing (``name``), says in one line what it is (``description``)
and holds the callable that builds it (``builder``). Its options and their defaults are read
from the builder's signature, never repeated in the record. A :class:`Registry` holds the
records of one kind (``"loss"``, ``"model"``, ``"dataset"``) in order and checks a request
before anything is built. Every factory fails the same way, with a ``ValueError``:

- an unknown name: ``loss: expected one of ['ce', 'mm', ...], got 'xent'``;
- an unknown option: ``loss 'hem': expected options from ['margin', 'ignore_index',
  'reduction'], got unknown ['tau']``;
- a missing required option: ``loss 'la': expected a value for ['class_counts'] (required),
  got options []``.
"""
from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import inspect
import sys
from dataclasses import dataclass
from typing import Any, Callable, ClassVar, Collection, Generic, Iterable, Iterator, Mapping, TypeVar

_OPTION_KINDS = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)


@functools.lru_cache(maxsize=None)
def _option_parameters(builder: Callable[..., Any]) -> tuple[inspect.Parameter, ...]:
    return tuple(p for p in inspect.signature(builder).parameters.values() if p.kind in _OPTION_KINDS)


def builder_options(builder: Callable[..., Any], supplied: Collection[str] = ()) -> list[str]:
    """The keyword options ``builder`` accepts, in signature order, less those in ``supplied``."""
    return [p.name for p in _option_parameters(builder) if p.name not in supplied]


def builder_defaults(builder: Callable[..., Any], supplied: Collection[str] = ()) -> dict[str, Any]:
    """``{option: default}`` for the options of ``builder`` that have a default."""
    return {p.name: p.default for p in _option_parameters(builder)
            if p.name not in supplied and p.default is not inspect.Parameter.empty}


def builder_required(builder: Callable[..., Any], supplied: Collection[str] = ()) -> list[str]:
    """The options of ``builder`` without a default, less those in ``supplied``."""
    return [p.name for p in _option_parameters(builder)
            if p.name not in supplied and p.default is inspect.Parameter.empty]


def source_version(function: Callable[..., Any]) -> str:
    """``"<declared version>+<12 hex digits of the source>"``: the declared version is the
    version of the installed distribution that provides the function's top-level package,
    else its module's ``__version__``, else ``unversioned``; the digest is that of the
    function's source (of its qualified name where the source cannot be read)."""
    module = getattr(function, "__module__", "") or ""
    top = module.split(".")[0]
    declared = ""
    try:
        distributions = importlib.metadata.packages_distributions().get(top, [])
        if distributions:
            declared = importlib.metadata.version(distributions[0])
    except importlib.metadata.PackageNotFoundError:
        declared = ""
    declared = declared or str(getattr(sys.modules.get(module), "__version__", "") or "unversioned")
    try:
        source = inspect.getsource(function)
    except (OSError, TypeError):
        source = f"{module}.{getattr(function, '__qualname__', repr(function))}"
    return f"{declared}+{hashlib.sha1(source.encode()).hexdigest()[:12]}"


def unknown_name_error(kind: str, name: object, allowed: Iterable[str]) -> ValueError:
    """The error for a name no record has: ``"{kind}: expected one of [...], got {name!r}"``."""
    return ValueError(f"{kind}: expected one of {list(allowed)}, got {name!r}")


def check_options(
    builder: Callable[..., Any], options: Mapping[str, Any], what: str, *, supplied: Collection[str] = ()
) -> None:
    """Raise ``ValueError`` unless ``options`` are keywords ``builder`` accepts and name all it requires.

    ``what`` names the thing in the message (``"loss 'hem'"``); ``supplied`` are builder
    parameters the factory passes itself, which are neither options nor required of the caller.
    """
    allowed = builder_options(builder, supplied)
    unknown = sorted(set(options) - set(allowed))
    if unknown:
        raise ValueError(f"{what}: expected options from {allowed}, got unknown {unknown}")
    missing = [name for name in builder_required(builder, supplied) if name not in options]
    if missing:
        raise ValueError(f"{what}: expected a value for {missing} (required), got options {sorted(options)}")


@dataclass(frozen=True)
class Record:
    """A named thing: ``name``, a one-line ``description`` and the ``builder`` that makes it.

    ``supplied`` (per record type) lists builder parameters the factory fills in itself,
    e.g. a model's ``num_classes``; the others are the record's options.
    """

    name: str
    description: str
    builder: Callable[..., Any]

    supplied: ClassVar[tuple[str, ...]] = ()

    @property
    def options(self) -> list[str]:
        """The keyword options the builder accepts (signature order)."""
        return builder_options(self.builder, self.supplied)

    @property
    def defaults(self) -> dict[str, Any]:
        """``{option: default}`` read from the builder's signature."""
        return builder_defaults(self.builder, self.supplied)

    @property
    def required(self) -> list[str]:
        """The options without a default, which every request must give."""
        return builder_required(self.builder, self.supplied)


R = TypeVar("R", bound=Record)


class Registry(Mapping[str, R], Generic[R]):
    """The records of one ``kind`` by name, in the order given; a mapping.

    ``registry[name]`` is plain mapping access (``KeyError``); :meth:`record` and
    :meth:`check` raise the shared ``ValueError`` messages instead. The records given at
    construction are *built in*: :meth:`add` appends records after them but never
    replaces one of them.
    """

    def __init__(self, kind: str, records: Iterable[R]) -> None:
        self.kind = kind
        self._records = {record.name: record for record in records}
        self.builtin: frozenset[str] = frozenset(self._records)

    def add(self, record: R, *, replace: bool = False) -> R:
        """Append ``record``; ``ValueError`` when its name is built in, or already added
        and ``replace`` is false."""
        if record.name in self.builtin:
            raise ValueError(f"{self.kind}: {record.name!r} is built into hemlab and cannot be replaced; "
                             f"choose another name (built in: {sorted(self.builtin)})")
        if record.name in self._records and not replace:
            raise ValueError(f"{self.kind}: {record.name!r} is already registered; pass replace=True to replace it")
        self._records[record.name] = record
        return record

    def remove(self, name: str) -> None:
        """Remove the added record ``name``; ``ValueError`` for a built-in or unknown name."""
        if name in self.builtin:
            raise ValueError(f"{self.kind}: {name!r} is built into hemlab and cannot be removed")
        self.record(name)
        del self._records[name]

    def __getitem__(self, name: str) -> R:
        return self._records[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._records)

    def __len__(self) -> int:
        return len(self._records)

    def __repr__(self) -> str:
        return f"Registry({self.kind!r}, {list(self._records)})"

    def record(self, name: str) -> R:
        """The record called ``name``; ``ValueError`` listing the known names otherwise."""
        try:
            return self._records[name]
        except (KeyError, TypeError):
            raise unknown_name_error(self.kind, name, self._records) from None

    def check(self, name: str, options: Mapping[str, Any]) -> R:
        """The record called ``name``, after checking ``options`` against its builder's signature."""
        record = self.record(name)
        check_options(record.builder, options, f"{self.kind} {name!r}", supplied=record.supplied)
        return record

    def defaults(self, name: str) -> dict[str, Any]:
        """``{option: default}`` of record ``name``, read from its builder's signature."""
        return self.record(name).defaults
