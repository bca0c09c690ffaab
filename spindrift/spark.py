"""One way to start a SparkSession, shared by the trainer, the tests and the benchmarks."""

from __future__ import annotations

import contextlib
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


def session_alive(spark: Any) -> bool:
    """Whether the session's JVM still answers and its SparkContext is not stopped (False after an OOM death)."""
    try:
        return not spark.sparkContext._jsc.sc().isStopped()
    except Exception:  # py4j raises connection errors once the JVM is gone
        return False


def forget_dead_session() -> None:
    """Drop pyspark's references to a SparkContext whose JVM died, so the next start launches a new JVM.

    ``SparkSession.stop()`` cannot do it: it calls into the dead JVM. pyspark keeps the gateway, the
    active context and the active session in class attributes; a new builder would reuse them all.
    """
    from pyspark.core.context import SparkContext
    from pyspark.sql import SparkSession

    gateway = SparkContext._gateway
    with SparkContext._lock:
        SparkContext._gateway = None
        SparkContext._jvm = None
        SparkContext._active_spark_context = None
    SparkSession._instantiatedSession = None
    SparkSession._activeSession = None
    if gateway is not None:
        with contextlib.suppress(Exception):  # already gone
            gateway.shutdown()  # closes the Python side; also ends a JVM that is only unresponsive
        proc = getattr(gateway, "proc", None)
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait(timeout=30)
