"""Stage implementations; importing this package fills the registry.

Each module covers one model family and registers, with ``@register``, the Spark class
names it implements. Every module of this package is imported here, so a new family is a
new file; a module that fails to import is a bug, not an optional feature.
"""

from __future__ import annotations

import importlib
import pkgutil

from .base import REGISTRY, Stage, register

for _info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
    if _info.name != "base":
        importlib.import_module(f"{__name__}.{_info.name}")

__all__ = ["REGISTRY", "Stage", "register"]
