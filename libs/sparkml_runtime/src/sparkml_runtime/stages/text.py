"""Text stages: Tokenizer, RegexTokenizer, StopWordsRemover, NGram."""

from __future__ import annotations

import re
from typing import Any

from ..errors import UnsupportedStageError
from ..frame import Field, Frame
from ..io.metadata import StageMetadata
from ..math.text import (
    NonBmpEmptyMatch,
    UntranslatableRegex,
    compile_java_regex,
    java_find_all,
    java_lower_locale,
    java_split,
    locale_language,
    ngrams,
    uses_word_boundaries,
    utf16_length,
    word_boundary_ambiguity,
)
from .base import Stage, register, row_value
from .in_out_columns import in_out_columns

# Java's \s is ASCII whitespace only: space, \t, \n, \x0B, \f, \r.
_JAVA_WS = re.compile(r"[ \t\n\x0b\f\r]")


def java_split_whitespace(text: str) -> list[str]:
    """Java's ``text.split("\\s")``: runs give empty tokens, trailing empties dropped."""
    # A printable string holds no \t \n \x0B \f \r, so its only Java \s is " ": str.split
    # gives the same parts several times faster than the regex.
    parts = text.split(" ") if text.isprintable() else _JAVA_WS.split(text)
    if len(parts) == 1:
        return parts  # no match: Java returns the input itself, even when it is ""
    while parts and parts[-1] == "":
        parts.pop()
    return parts


# Java \s characters other than " " and the "\n" that joins rows in the column path.
_OTHER_JAVA_WS = ("\t", "\x0b", "\f", "\r")


def lower_split_column(texts: list[Any]) -> list[list[str]] | None:
    """``java_split_whitespace(java_lower(t))`` for a whole column of strings, or None.

    The column is joined with "\n", lower-cased and split back in single C calls, then each
    row is split on " " by a list comprehension: no Python function call per row. Lower-casing
    the joined text gives each row's own lower case ("\n" is neither cased nor case-ignorable,
    so the final-sigma rule sees a row end). None when a value is not a string or a row holds
    other Java whitespace (tab, newline...): the caller then goes row by row.
    """
    if not texts:
        return []
    if set(map(type, texts)) != {str}:
        return None
    lowered = "\n".join(texts).lower()
    if lowered.count("\n") != len(texts) - 1 or any(ws in lowered for ws in _OTHER_JAVA_WS):
        return None
    lines = lowered.split("\n")
    tokens = [line.split(" ") for line in lines]
    if " \n" in lowered or lowered.endswith(" "):
        # Java's split drops trailing empty strings: only rows ending in a space have any.
        for i, line in enumerate(lines):
            if line.endswith(" "):
                parts = tokens[i]
                while parts and parts[-1] == "":
                    parts.pop()
    return tokens


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
        tokens = lower_split_column(col if isinstance(col, list) else list(col))
        if tokens is None:
            split, lower = java_split_whitespace, java_lower
            # Plain strings skip the checking method call; anything else goes through _tokens.
            tokens = [split(lower(t)) if type(t) is str else self._tokens(t, i) for i, t in enumerate(col)]
        frame.set(self.output_col, tokens)

    def transform_row(self, row: dict[str, Any]) -> None:
        row[self.output_col] = self._tokens(row_value(self, row, self.input_col))


def _describe(value: Any) -> str:
    return "null" if value is None else f"{type(value).__name__} {value!r}"


@register("org.apache.spark.ml.feature.RegexTokenizer")
class RegexTokenizer(Stage):
    """``RegexTokenizer``: Java-regex split (``gaps``) or match, then drop short tokens.

    The Java pattern is translated to Python's ``re`` at load; a construct without a
    faithful translation fails the load with UnsupportedStageError. A pattern with ``\\b``
    or ``\\B`` is exact on every row without a non-ASCII letter, digit or combining mark;
    such a row is refused (InvalidInputError), because JDK 17 and JDK 19+ split it differently.
    """

    def __init__(self, meta: StageMetadata) -> None:
        super().__init__(meta)
        self.input_col: str = meta.require("inputCol")
        self.output_col: str = meta.require("outputCol")
        self.pattern: str = meta.get("pattern", "\\s+")
        self.gaps = bool(meta.get("gaps", True))
        self.min_length = int(meta.get("minTokenLength", 1))
        self.lowercase = bool(meta.get("toLowercase", True))
        try:
            self.regex = compile_java_regex(self.pattern)
            self.word_boundaries = uses_word_boundaries(self.pattern)
        except UntranslatableRegex as exc:
            raise UnsupportedStageError(meta.class_name, meta.uid, str(exc)) from None

    def input_fields(self) -> list[Field]:
        return [Field(self.input_col, "string", nullable=False)]

    def output_fields(self) -> list[Field]:
        return [Field(self.output_col, "array<string>", nullable=False)]

    def _tokens(self, text: Any, row: int | None = None) -> list[str]:
        if not isinstance(text, str):
            raise self.invalid(f"expected a string, got {_describe(text)}", column=self.input_col, row=row)
        if self.lowercase:
            text = java_lower(text)
        if self.word_boundaries:
            ch = word_boundary_ambiguity(text)
            if ch is not None:
                raise self.invalid(
                    f"pattern {self.pattern!r} uses \\b or \\B, and the text has {ch!r} (U+{ord(ch):04X}), "
                    "a non-ASCII letter, digit or mark on which JDK 17 and JDK 19+ disagree about word "
                    "boundaries; Spark's tokens depend on its JVM, so this row is refused rather than guessed",
                    column=self.input_col,
                    row=row,
                )
        try:
            if self.gaps:
                tokens = java_split(self.regex, text)
            else:
                tokens = java_find_all(self.regex, text, keep_empty=self.min_length < 1)
        except NonBmpEmptyMatch as exc:
            raise self.invalid(
                f"pattern {self.pattern!r} {exc}; Java would split that character into UTF-16 halves",
                column=self.input_col,
                row=row,
            ) from None
        n = self.min_length
        if n <= 1:
            # Every non-empty token is long enough; only "" can be too short.
            return tokens if n < 1 else [t for t in tokens if t]
        return [t for t in tokens if utf16_length(t) >= n]

    def transform_batch(self, frame: Frame) -> None:
        col = frame.raw(self.input_col, self.name)
        frame.set(self.output_col, [self._tokens(t, i) for i, t in enumerate(col)])

    def transform_row(self, row: dict[str, Any]) -> None:
        row[self.output_col] = self._tokens(row_value(self, row, self.input_col))


def _string_list(stage: Stage, value: Any, column: str, row: int | None) -> list[Any]:
    """An array<string> value: a list whose items are strings or null."""
    if not isinstance(value, (list, tuple)):
        raise stage.invalid(f"expected a list of strings, got {_describe(value)}", column=column, row=row)
    for item in value:
        if item is not None and not isinstance(item, str):
            raise stage.invalid(f"expected string items, got {_describe(item)}", column=column, row=row)
    return list(value)


@register("org.apache.spark.ml.feature.StopWordsRemover")
class StopWordsRemover(Stage):
    """``StopWordsRemover``: drop the saved stop words, case-folded in the saved locale unless caseSensitive."""

    def __init__(self, meta: StageMetadata) -> None:
        super().__init__(meta)
        self.inputs, self.outputs = in_out_columns(self)
        words = meta.require("stopWords")
        self.case_sensitive = bool(meta.get("caseSensitive", False))
        self.language = locale_language(str(meta.get("locale", "en")))
        if not self.case_sensitive and self.language == "lt":
            raise UnsupportedStageError(
                meta.class_name, meta.uid, "Lithuanian lower-casing rules (locale 'lt') are not reproduced"
            )
        if self.case_sensitive:
            self.stop = frozenset(words)
        else:
            self.stop = frozenset(java_lower_locale(w, self.language) for w in words)

    def input_fields(self) -> list[Field]:
        return [Field(c, "array<string>", nullable=False) for c in self.inputs]

    def output_fields(self) -> list[Field]:
        return [Field(c, "array<string>", nullable=False) for c in self.outputs]

    def _filter(self, terms: list[Any]) -> list[Any]:
        stop = self.stop
        if self.case_sensitive:
            return [t for t in terms if t not in stop]
        lang = self.language
        # A null term is never a stop word (Spark's toLower keeps null, which no set holds).
        return [t for t in terms if t is None or java_lower_locale(t, lang) not in stop]

    def transform_batch(self, frame: Frame) -> None:
        for src, dst in zip(self.inputs, self.outputs, strict=True):
            col = frame.raw(src, self.name)
            frame.set(dst, [self._filter(_string_list(self, v, src, i)) for i, v in enumerate(col)])

    def transform_row(self, row: dict[str, Any]) -> None:
        for src, dst in zip(self.inputs, self.outputs, strict=True):
            row[dst] = self._filter(_string_list(self, row_value(self, row, src), src, None))


@register("org.apache.spark.ml.feature.NGram")
class NGram(Stage):
    """``NGram``: space-joined windows of ``n`` consecutive tokens."""

    def __init__(self, meta: StageMetadata) -> None:
        super().__init__(meta)
        self.input_col: str = meta.require("inputCol")
        self.output_col: str = meta.require("outputCol")
        self.n = int(meta.get("n", 2))
        if self.n < 1:
            raise UnsupportedStageError(meta.class_name, meta.uid, f"n must be >= 1, got {self.n}")

    def input_fields(self) -> list[Field]:
        return [Field(self.input_col, "array<string>", nullable=False)]

    def output_fields(self) -> list[Field]:
        return [Field(self.output_col, "array<string>", nullable=False)]

    def transform_batch(self, frame: Frame) -> None:
        col = frame.raw(self.input_col, self.name)
        src = self.input_col
        frame.set(self.output_col, [ngrams(_string_list(self, v, src, i), self.n) for i, v in enumerate(col)])

    def transform_row(self, row: dict[str, Any]) -> None:
        terms = _string_list(self, row_value(self, row, self.input_col), self.input_col, None)
        row[self.output_col] = ngrams(terms, self.n)
