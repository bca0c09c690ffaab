"""The docs test's topology: a broker, a trainer, a scorer and a gateway, like `make up` but on free ports.

It is the embedded broker of its own (so the README's topic names and its `tutorial` model versions
start from nothing), or the cluster ``KAFKA_BOOTSTRAP_SERVERS`` names, as :class:`Topology` decides.
Blocks see it through the variables they document: ``SPINDRIFT_GATEWAY`` and ``KAFKA_BOOTSTRAP_SERVERS``.
"""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from spindrift.topology import ServiceProcess, Topology, free_port
from tests.docs.blocks import REPO_ROOT


@dataclass
class DocsTopology:
    """The running topology and the environment every block runs with."""

    topology: Topology
    gateway: ServiceProcess
    env: dict[str, str]

    def log_tails(self, lines: int = 15) -> str:
        """The last lines of each service's log, for a failing block's message."""
        return "\n".join(f"--- {s.name}:\n{s.log_tail(lines)}" for s in self.topology.services)


@pytest.fixture(scope="module")
def docs_topology(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DocsTopology]:
    """Started for the module that runs the blocks, and stopped after it (not kept for the rest of the suite)."""
    work = tmp_path_factory.mktemp("docs-topology")
    topology = Topology(work_dir=work)
    try:
        kafka = topology.start_kafka()
        group = f"docs-scorers-{uuid.uuid4().hex[:8]}"
        topology.start_trainer(
            TRAINER_GROUP_ID=f"docs-trainers-{uuid.uuid4().hex[:8]}", TRAINER_PROGRESS_INTERVAL_S="0.5"
        )
        topology.start_scorer(SCORER_GROUP_ID=group)
        gateway = topology.start_gateway(GATEWAY_SCORER_GROUP_ID=group, GATEWAY_PREDICT_TIMEOUT_S="30")
        topology.wait_ready(300)
        yield DocsTopology(topology, gateway, block_env(work, kafka.bootstrap_servers, gateway.health_url))
    finally:
        topology.stop()


def block_env(work: Path, bootstrap: str, gateway_url: str) -> dict[str, str]:
    """The environment of a block: the documented variables pointing at the topology, the venv first on PATH.

    ``CURL_HOME`` holds a ``.curlrc`` with ``fail-with-body``, so a curl line that gets an HTTP
    error fails its block (printing the error) without the docs having to say so.
    """
    curl_home = work / "curl"
    curl_home.mkdir(exist_ok=True)
    (curl_home / ".curlrc").write_text("fail-with-body\nmax-time = 600\n")
    pythonpath = [str(REPO_ROOT), str(REPO_ROOT / "libs" / "sparkml_runtime" / "src"), os.environ.get("PYTHONPATH", "")]
    return {
        **os.environ,
        "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
        "SPINDRIFT_GATEWAY": gateway_url,
        "SCORER_METRICS_PORT": str(free_port()),  # the stream-mode recipe's scorer
        "CURL_HOME": str(curl_home),
        "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]),
        "PYTHONPATH": os.pathsep.join(filter(None, pythonpath)),
        "PYTHONUNBUFFERED": "1",
        "COLUMNS": "200",  # rich tables of the CLI are not cut
    }
