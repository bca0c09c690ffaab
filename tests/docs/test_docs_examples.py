"""Every runnable block of the docs, run as written against the docs topology, in document order.

README.md comes first (its first block trains the `tutorial` model the others score with). A
bash block runs with ``bash -euo pipefail``; a python block in a fresh interpreter (after the
blocks it continues). Both run from the repository root with the environment of
:func:`tests.docs.conftest.block_env`. A block that exits non-zero fails with its output and
the services' log tails. Blocks that use kcat are skipped, saying so, where kcat is not installed.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time

import pytest

from tests.docs.blocks import DOCUMENTS, REPO_ROOT, Block, blocks_of, python_chain

pytestmark = [pytest.mark.kafka, pytest.mark.spark, pytest.mark.slow]

BLOCK_TIMEOUT_S = 600
NO_KCAT = "kcat is not installed (Debian package kcat; .ci/run installs it when apt can)"
RUNNABLE = [
    pytest.param(
        block,
        id=f"{block.where}-{block.language}",
        marks=pytest.mark.skipif("kcat " in block.text and shutil.which("kcat") is None, reason=NO_KCAT),
    )
    for path in DOCUMENTS
    for block in blocks_of(path)
    if block.runnable
]


def _command(block: Block) -> list[str]:
    if block.language == "python":
        chain = python_chain(blocks_of(block.path), block)
        return [sys.executable, "-c", "\n".join(b.text for b in chain)]
    return ["bash", "-euo", "pipefail", "-c", block.text]


@pytest.mark.parametrize("block", RUNNABLE)
def test_the_docs_example_runs(block: Block, docs_topology) -> None:
    started = time.monotonic()
    try:
        done = subprocess.run(
            _command(block),
            cwd=REPO_ROOT,
            env=docs_topology.env,
            capture_output=True,
            text=True,
            timeout=BLOCK_TIMEOUT_S,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired as exc:
        raise AssertionError(
            f"{block.where} ({block.section}) did not finish within {BLOCK_TIMEOUT_S} s; output so far:\n"
            f"{exc.stdout}\n{exc.stderr}\n{docs_topology.log_tails()}"
        ) from None
    assert done.returncode == 0, (
        f"{block.where} ({block.section}) exited {done.returncode} after {time.monotonic() - started:.0f} s\n"
        f"--- block:\n{block.text}--- stdout:\n{done.stdout[-4000:]}\n--- stderr:\n{done.stderr[-4000:]}\n"
        f"{docs_topology.log_tails()}"
    )
