"""One way to start a SparkSession, shared by the trainer, the tests and the benchmarks."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from typing import Any


def start_session(
    app_name: str,
    master: str = "local[2]",
    conf: Mapping[str, str] | None = None,
    *,
    log_level: str = "ERROR",
) -> Any:
    """A SparkSession for ``master`` with Spindrift's defaults, plus ``conf`` on top.

    The web UI is off (it would listen on every interface; set ``spark.ui.enabled`` in
    ``conf`` to watch jobs there). Local masters bind the driver to 127.0.0.1 and use few
    shuffle partitions (small data on two cores); a cluster master keeps Spark's defaults.
    """
    from pyspark.sql import SparkSession

    # Python workers must run the interpreter that has our packages, not whatever is on PATH.
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    builder = (
        SparkSession.builder.master(master)
        .appName(app_name)
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
    )
    if master.startswith("local"):
        builder = (
            builder.config("spark.driver.host", "127.0.0.1")
            .config("spark.driver.bindAddress", "127.0.0.1")
            .config("spark.sql.shuffle.partitions", "2")
        )
    for key, value in (conf or {}).items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel(log_level)
    return spark
