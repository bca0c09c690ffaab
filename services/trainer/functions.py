"""Registered training functions: Python code an operator ships with the trainer, chosen by name.

A function is ``train(spark, params) -> PipelineModel`` (or any fitted pyspark model, or a
:class:`FunctionResult` that adds a sample DataFrame for the parity certificate)::

    from services.trainer.functions import training_function

    @training_function("churn")
    def train_churn(spark, params):
        ...
        return pipeline.fit(df)

Functions are registered by importing a module: in code, or through the
``TRAINER_FUNCTIONS_MODULE`` setting, which the operator controls. A request only names a
registered function; no code is ever loaded from a request.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .errors import SpecError

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

TrainingFunction = Callable[["SparkSession", Mapping[str, Any]], Any]

_FUNCTIONS: dict[str, TrainingFunction] = {}


@dataclass
class FunctionResult:
    """What a training function may return instead of a bare model: the model plus rows to certify it on."""

    model: Any
    sample: DataFrame | None = None


def training_function(name: str | None = None) -> Callable[[TrainingFunction], TrainingFunction]:
    """Decorator registering ``train(spark, params)`` under ``name`` (default: the function's name)."""

    def register(fn: TrainingFunction) -> TrainingFunction:
        key = name or fn.__name__
        existing = _FUNCTIONS.get(key)
        if existing is not None and existing is not fn:
            raise ValueError(f"training function '{key}' is already registered by {existing.__module__}")
        _FUNCTIONS[key] = fn
        return fn

    return register


def get_function(name: str) -> TrainingFunction:
    """The registered function called ``name``; a SpecError listing the registered ones otherwise."""
    try:
        return _FUNCTIONS[name]
    except KeyError:
        known = ", ".join(sorted(_FUNCTIONS)) or "none are registered on this trainer"
        raise SpecError(f"unknown training function '{name}'; registered: {known}") from None


def registered_functions() -> list[str]:
    """Names of every registered training function, sorted."""
    return sorted(_FUNCTIONS)


def load_functions_module(module: str) -> None:
    """Import the operator-configured module so its ``@training_function`` registrations run."""
    try:
        importlib.import_module(module)
    except ImportError as exc:
        raise RuntimeError(
            f"cannot import TRAINER_FUNCTIONS_MODULE '{module}': {exc}; check the module name and PYTHONPATH"
        ) from exc
