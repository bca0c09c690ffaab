"""The job kinds a trainer runs, by the name a ``TrainRequest`` gives: adding a kind is one entry here."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from .batch import run_score_batch
from .job import JobOutcome, RunningJob
from .training import run_training


@dataclass(frozen=True)
class JobKind:
    """One kind of job: its label in metrics and events, and the function that runs it to its outcome."""

    label: str
    run: Callable[[RunningJob, Path], JobOutcome]


JOB_KINDS: Mapping[str, JobKind] = {
    "TRAIN": JobKind("train", run_training),
    "SCORE_BATCH": JobKind("score_batch", run_score_batch),
}
