"""Which processes may load Spark: only the trainer. Checked in a fresh interpreter per entry point."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from spindrift.topology import REPO_ROOT

HEAVY = ["pyspark", "py4j", "pandas"]
WEB = ["fastapi", "uvicorn", "starlette", "sse_starlette"]


def _loaded_top_level_packages(module: str) -> set[str]:
    code = f"import importlib, json, sys; importlib.import_module({module!r}); print(json.dumps(sorted(sys.modules)))"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, timeout=120, check=True
    )
    return {name.split(".")[0] for name in json.loads(result.stdout)}


@pytest.mark.parametrize("module", ["services.scorer.__main__", "services.scorer.service", "spindrift.cli.app"])
def test_scorer_and_cli_load_neither_spark_nor_a_web_framework(module):
    loaded = _loaded_top_level_packages(module)
    assert not loaded & {*HEAVY, *WEB}, sorted(loaded & {*HEAVY, *WEB})


@pytest.mark.parametrize("module", ["services.gateway.__main__", "services.gateway.routes.jobs"])
def test_gateway_validates_specs_without_loading_spark(module):
    loaded = _loaded_top_level_packages(module)
    assert "services" in loaded and "fastapi" in loaded  # the module really was imported
    assert not loaded & set(HEAVY), sorted(loaded & set(HEAVY))
