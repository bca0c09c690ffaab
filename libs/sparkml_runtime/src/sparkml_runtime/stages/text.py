"""Text stages: Tokenizer (more text stages are added beside it)."""

from __future__ import annotations

import re
from typing import Any

from ..frame import Field, Frame
from ..io.metadata import StageMetadata
from .base import Stage, register, row_value

# Java's \s is ASCII whitespace only: space, \t, \n, \x0B, \f, \r.
_JAVA_WS = re.compile(r"[ \t\n\x0b\f\r]")


def java_split_whitespace(text: str) -> list[str]:
    """Java's ``text.split("\\s")``: runs give empty tokens, trailing empties dropped."""
    parts = _JAVA_WS.split(text)
    if len(parts) == 1:
        return parts  # no match: Java returns the input itself, even when it is ""
    while parts and parts[-1] == "":
        parts.pop()
    return parts


def java_lower(text: str) -> str:
    """Java's ``toLowerCase`` (root locale); Python's ``lower`` agrees outside rare cases."""
    return text.lower()


@register("org.apache.spark.ml.feature.Tokenizer")
class Tokenizer(Stage):
    """``Tokenizer``: lower-case, then split on single ASCII whitespace characters."""

    def __init__(self, meta: StageMetadata) -> None:
        super().__init__(meta)
        self.input_col: str = meta.require("inputCol")
        self.output_col: str = meta.require("outputCol")

    def input_fields(self) -> list[Field]:
        return [Field(self.input_col, "string", nullable=False)]

    def output_fields(self) -> list[Field]:
        return [Field(self.output_col, "array<string>", nullable=False)]

    def _tokens(self, text: Any, row: int | None = None) -> list[str]:
        if not isinstance(text, str):
            what = "null" if text is None else f"{type(text).__name__} {text!r}"
            raise self.invalid(f"expected a string, got {what}", column=self.input_col, row=row)
        return java_split_whitespace(java_lower(text))

    def transform_batch(self, frame: Frame) -> None:
        col = frame.raw(self.input_col, self.name)
        frame.set(self.output_col, [self._tokens(t, i) for i, t in enumerate(col)])

    def transform_row(self, row: dict[str, Any]) -> None:
        row[self.output_col] = self._tokens(row_value(self, row, self.input_col))
