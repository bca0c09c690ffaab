"""Load a saved PipelineModel (or single stage) and score rows or columns with it."""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

from .errors import (
    InvalidInputError,
    ModelLoadError,
    RowFiltered,
    SparkMLRuntimeError,
    UnknownColumnError,
    UnsupportedStageError,
)
from .frame import JSON_PLAIN_TYPES, Field, Frame, to_json_value
from .io.metadata import pipeline_stage_dirs, read_metadata
from .projection import Plan, make_plan
from .stages import REGISTRY, Stage
from .stages.schema import derive_schema
from .support import unsupported_reason

_PIPELINE_CLASSES = {"org.apache.spark.ml.PipelineModel", "org.apache.spark.ml.Pipeline"}
_TUNING_CLASSES = {
    "org.apache.spark.ml.tuning.CrossValidatorModel",
    "org.apache.spark.ml.tuning.TrainValidationSplitModel",
}
# Below this many rows the per-row path beats building numpy columns.
_ROW_PATH_MAX = 8
# Plans are cached per distinct ``outputs``; a caller inventing new lists forever stops caching here.
_PLAN_CACHE_MAX = 256

RowResult = dict[str, Any] | SparkMLRuntimeError


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a batch allocates its per-row containers.

    Token lists, row dicts and vector dicts are several containers per row; on Python 3.11
    the collector's repeated scans of them took about half of ``transform_rows``' time and
    a third of ``transform``'s on 100k rows. Nothing built here forms reference cycles. A
    caller that disabled the collector itself keeps it disabled.
    """
    was_enabled = gc.isenabled()
    if was_enabled:
        gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _load_stages(path: Path) -> list[Stage]:
    meta = read_metadata(path)
    if meta.class_name in _PIPELINE_CLASSES:
        if meta.class_name == "org.apache.spark.ml.Pipeline":
            raise ModelLoadError(f"{path} is an unfitted Pipeline; save the fitted PipelineModel instead")
        return [s for d in pipeline_stage_dirs(meta) for s in _load_stages(d)]
    if meta.class_name in _TUNING_CLASSES:
        return _load_stages(path / "bestModel")
    cls = REGISTRY.get(meta.class_name)
    if cls is None:
        raise UnsupportedStageError(meta.class_name, meta.uid, unsupported_reason(meta.class_name) or "")
    return [cls.load(meta)]


def load_pipeline(path: str | Path) -> Pipeline:
    """Load a directory written by ``PipelineModel.save()`` or any supported model's ``save()``.

    Every stage is read and checked here: an unsupported stage raises
    :class:`UnsupportedStageError` naming its Spark class and uid, never at scoring time.
    """
    path = Path(path)
    if not path.is_dir():
        raise ModelLoadError(f"{path} is not a directory")
    return Pipeline(_load_stages(path), source=path)


class Pipeline:
    """A loaded pipeline: an ordered list of stages plus the contract they imply."""

    def __init__(self, stages: list[Stage], source: Path | None = None) -> None:
        self.stages = stages
        self.source = source
        self.input_schema, self.output_schema = self._derive_schema()
        self._plans: dict[tuple[str, ...] | None, Plan] = {}

    def _derive_schema(self) -> tuple[list[Field], list[Field]]:
        return derive_schema(self.stages)

    def __repr__(self) -> str:
        return f"Pipeline([{', '.join(s.name for s in self.stages)}])"

    # --- columnar path ------------------------------------------------------------------------
    def transform(
        self, columns: Mapping[str, Sequence[Any]], *, outputs: Sequence[str] | None = None
    ) -> dict[str, Any]:
        """Score a batch given as columns; returns input and added columns.

        Numeric outputs are float64 arrays, vectors :class:`VectorColumn`, text lists.
        Rows dropped by handleInvalid='skip' stages are absent, as in Spark.

        ``outputs`` names the columns to return (inputs or outputs, in that order); only the
        stages those columns need run, plus any stage that drops rows. None returns every
        column. A name that no stage produces and ``columns`` lacks raises
        :class:`UnknownColumnError`.
        """
        p = self.plan(outputs)
        if p.columns is not None:
            self._check_known(p, columns.__contains__, lambda: columns)
        if p.reads is not None:
            columns = {k: v for k, v in columns.items() if k in p.reads}
        with _gc_paused():
            frame = self._run_frame(self._frame(columns), p)
            if p.columns is None:
                return frame.columns
            return {k: frame.columns[k] for k in p.columns}

    def plan(self, outputs: Sequence[str] | None) -> Plan:
        """The stages ``outputs`` needs and the columns it returns (cached per distinct list)."""
        key = None if outputs is None else tuple(outputs)
        found = self._plans.get(key)
        if found is None:
            found = make_plan(self.stages, outputs)
            if len(self._plans) < _PLAN_CACHE_MAX:
                self._plans[key] = found
        return found

    def _check_known(self, p: Plan, present: Callable[[str], bool], names: Callable[[], Iterable[str]]) -> None:
        """Raise UnknownColumnError for a requested column neither produced nor in the input."""
        unknown = p.unknown(present)
        if unknown:
            produced = [f.name for f in self.output_schema]
            given = sorted(set(names()) - set(produced))
            raise UnknownColumnError(unknown, [*given, *produced])

    def _frame(self, columns: Mapping[str, Sequence[Any]]) -> Frame:
        lengths = {len(c) for c in columns.values()}
        if len(lengths) > 1:
            raise InvalidInputError(f"columns have different lengths {sorted(lengths)}")
        return Frame(columns, lengths.pop() if lengths else 0)

    def _run_frame(self, frame: Frame, p: Plan) -> Frame:
        for stage in p.stages:
            try:
                stage.transform_batch(frame)
            except InvalidInputError as exc:
                row = int(frame.row_ids[exc.row]) if exc.row is not None and exc.row < frame.n else exc.row
                raise InvalidInputError(
                    exc.message, column=exc.column, stage=exc.stage or stage.name, row=row
                ) from None
        return frame

    # --- row path -----------------------------------------------------------------------------
    def transform_row(self, row: Mapping[str, Any], *, outputs: Sequence[str] | None = None) -> dict[str, Any]:
        """Score one row; returns it with every added column (or ``outputs``), in JSON-ready values.

        Raises :class:`RowFiltered` when a handleInvalid='skip' stage drops the row.
        """
        p = self.plan(outputs)
        if p.columns is not None:
            self._check_known(p, row.__contains__, lambda: row)
        return self._row(row, p)

    def _row(self, row: Mapping[str, Any], p: Plan) -> dict[str, Any]:
        out = dict(row)
        for stage in p.stages:
            stage.transform_row(out)
        plain = JSON_PLAIN_TYPES
        if p.columns is None:
            return {k: v if type(v) in plain else to_json_value(v) for k, v in out.items()}
        # A requested input column the row lacks is left out, as the unprojected result would.
        return {k: v if type(v := out[k]) in plain else to_json_value(v) for k in p.columns if k in out}

    def transform_rows(
        self,
        rows: Sequence[Mapping[str, Any]],
        *,
        errors: Literal["raise", "return"] = "raise",
        outputs: Sequence[str] | None = None,
    ) -> list[Any]:
        """Score rows; each result row keeps its inputs and adds every Spark output column.

        ``errors="raise"`` (default): the first bad row raises InvalidInputError naming the
        column, stage and row; rows dropped by 'skip' stages are left out, as Spark does.
        ``errors="return"``: the result has one entry per input row, either the scored row or
        the error (an InvalidInputError or RowFiltered instance) for that row alone.

        ``outputs`` names the columns each result row carries (inputs or outputs, in that
        order); only the stages they need run (plus any stage that drops rows) and only
        those columns are turned into Python values. None keeps every column. A name that no
        stage produces and no row has raises :class:`UnknownColumnError`, in either mode.
        """
        p = self.plan(outputs)
        if p.columns is not None:
            self._check_known(p, lambda c: any(c in r for r in rows), lambda: {k for r in rows for k in r})
        if errors == "return":
            return self._rows_with_errors(rows, p)
        if len(rows) <= _ROW_PATH_MAX:
            out = []
            for i, r in enumerate(rows):
                try:
                    out.append(self._row(r, p))
                except RowFiltered:
                    continue
                except InvalidInputError as exc:
                    raise exc.at(row=i) from None
            return out
        with _gc_paused():
            frame = self._run_frame(Frame.from_rows(rows, p.reads), p)
            return self._frame_rows(frame, p)

    def _frame_rows(self, frame: Frame, p: Plan) -> list[dict[str, Any]]:
        names = list(frame.columns) if p.columns is None else [c for c in p.columns if c in frame.columns]
        if not names:
            return [{} for _ in range(frame.n)]
        # zip over whole columns builds each row's values at C speed.
        columns = [frame.json_column(n) for n in names]
        return [dict(zip(names, values, strict=True)) for values in zip(*columns, strict=True)]

    def _rows_with_errors(self, rows: Sequence[Mapping[str, Any]], p: Plan) -> list[RowResult]:
        groups = _by_columns_carried(rows, p.reads)
        if len(groups) == 1:
            return self._same_columns_with_errors(rows, p)
        # A frame has one set of columns: a key some rows lack would become null there (which a
        # 'skip' stage drops, or 'keep' scores), and keys of other rows would appear in these ones.
        # Each row must get what it gets alone, so rows carrying different columns are scored apart.
        results: list[RowResult] = [RowFiltered("pipeline", None, i) for i in range(len(rows))]
        for positions in groups:
            scored = self._same_columns_with_errors([rows[i] for i in positions], p)
            for i, result in zip(positions, scored, strict=True):
                results[i] = _renumbered(result, i)
        return results

    def _same_columns_with_errors(self, rows: Sequence[Mapping[str, Any]], p: Plan) -> list[RowResult]:
        if len(rows) > _ROW_PATH_MAX:
            try:
                with _gc_paused():
                    frame = self._run_frame(Frame.from_rows(rows, p.reads), p)
                    scored = self._frame_rows(frame, p)
            except InvalidInputError:
                pass  # isolate the bad rows one by one below
            else:
                results: list[RowResult] = [RowFiltered("pipeline", None, i) for i in range(len(rows))]
                for pos, row in zip(frame.row_ids.tolist(), scored, strict=True):
                    results[pos] = row
                return results
        out: list[RowResult] = []
        for i, r in enumerate(rows):
            try:
                out.append(self._row(r, p))
            except RowFiltered as exc:
                out.append(RowFiltered(exc.stage, exc.column, i))
            except InvalidInputError as exc:
                out.append(exc.at(row=i))
        return out


def _by_columns_carried(rows: Sequence[Mapping[str, Any]], reads: frozenset[str] | None) -> list[list[int]]:
    """Row positions grouped by which input columns (``reads``, or every key when None) each row carries.

    One group (the usual case) is found without building a key set per row: only a column
    that some rows lack splits the batch.
    """
    names: Iterable[str] = reads if reads is not None else {k for r in rows for k in r}
    ragged = [name for name in names if not all(name in r for r in rows)]
    if not ragged:
        return [list(range(len(rows)))]
    groups: dict[tuple[bool, ...], list[int]] = {}
    for i, r in enumerate(rows):
        groups.setdefault(tuple(name in r for name in ragged), []).append(i)
    return list(groups.values())


def _renumbered(result: RowResult, row: int) -> RowResult:
    """``result`` of a row scored within a group, with the row's position in the whole batch."""
    if isinstance(result, InvalidInputError):
        return InvalidInputError(result.message, column=result.column, stage=result.stage, row=row)
    if isinstance(result, RowFiltered):
        return RowFiltered(result.stage, result.column, row)
    return result


__all__ = ["Pipeline", "load_pipeline"]
