"""The exceptions sparkml_runtime raises, all in one place.

    SparkMLRuntimeError
    ├── ModelLoadError            the directory is not a readable saved Spark model
    │   └── UnsupportedStageError a stage's Spark class has no runtime implementation
    ├── InvalidInputError         a row cannot be scored (missing column, unusable value)
    └── UnknownColumnError        an output column was asked for that neither stages nor input have

Every error raised while scoring names the column, the stage and the row, so a caller can
answer the one bad request of a batch without failing its batch-mates.
"""

from __future__ import annotations


class SparkMLRuntimeError(Exception):
    """Base class of every error sparkml_runtime raises on purpose."""


class ModelLoadError(SparkMLRuntimeError):
    """A saved model directory is missing, malformed, or of an unknown layout."""


class UnsupportedStageError(ModelLoadError):
    """A stage of the saved pipeline has no Spark-free implementation."""

    def __init__(self, class_name: str, uid: str, reason: str = "") -> None:
        self.class_name = class_name
        self.uid = uid
        detail = f": {reason}" if reason else ""
        super().__init__(f"unsupported stage {class_name} (uid {uid}){detail}")


class InvalidInputError(SparkMLRuntimeError):
    """A row cannot be scored: a column is missing or holds an unusable value."""

    def __init__(
        self,
        message: str,
        *,
        column: str | None = None,
        stage: str | None = None,
        row: int | None = None,
    ) -> None:
        self.message = message
        self.column = column
        self.stage = stage
        self.row = row
        super().__init__(self._describe())

    def _describe(self) -> str:
        where = []
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column '{self.column}'")
        if self.stage is not None:
            where.append(f"stage {self.stage}")
        return f"{self.message} ({', '.join(where)})" if where else self.message

    def at(self, *, stage: str | None = None, row: int | None = None) -> InvalidInputError:
        """Return this error with the stage and row filled in where they were unknown."""
        return InvalidInputError(
            self.message,
            column=self.column,
            stage=self.stage if self.stage is not None else stage,
            row=self.row if self.row is not None else row,
        )

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready description, as a per-row error in a batch result."""
        return {"error": self.message, "column": self.column, "stage": self.stage, "row": self.row}


class RowFiltered(SparkMLRuntimeError):
    """A stage with handleInvalid='skip' dropped the row, as Spark's transform would."""

    def __init__(self, stage: str, column: str | None, row: int | None = None) -> None:
        self.stage = stage
        self.column = column
        self.row = row
        super().__init__(f"row {row} filtered by stage {stage} (handleInvalid='skip', column '{column}')")


class UnknownColumnError(SparkMLRuntimeError, ValueError):
    """An output column was requested that no stage produces and the input does not have."""

    def __init__(self, names: list[str], available: list[str]) -> None:
        self.names = names
        self.available = available
        plural = "s" if len(names) > 1 else ""
        super().__init__(
            f"unknown output column{plural} {', '.join(map(repr, names))}; available: {', '.join(available)}"
        )
