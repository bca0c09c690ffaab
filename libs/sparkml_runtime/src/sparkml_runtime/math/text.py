"""Java text semantics in Python: regex translation, ``Pattern.split``/``find``, lower-casing, n-grams.

Spark's text stages run ``java.util.regex`` and ``String.toLowerCase`` inside the JVM. This
module reproduces them on Python strings, and refuses (``UntranslatableRegex``) the regex
constructs whose meaning Python's ``re`` cannot reproduce exactly, so a model never scores
with a silently different tokenizer.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator

__all__ = [
    "NonBmpEmptyMatch",
    "UntranslatableRegex",
    "compile_java_regex",
    "java_find_all",
    "java_lower_locale",
    "java_split",
    "ngrams",
    "translate_java_regex",
    "utf16_length",
    "uses_word_boundaries",
    "word_boundary_ambiguity",
]


class UntranslatableRegex(ValueError):
    """A Java regex uses a construct that Python's ``re`` cannot reproduce faithfully."""


class NonBmpEmptyMatch(ValueError):
    """An empty match sits before a character outside the BMP.

    Java then resumes searching one UTF-16 unit later, in the middle of the surrogate pair,
    and can split the character in two; Python strings have no such position.
    """


# Java's '.' excludes every line terminator, not only '\n' as Python's does.
_JAVA_DOT = r"[^\n\r\x85\u2028\u2029]"
# Java's '$' and '\Z' without MULTILINE: end of input, or before a final line terminator
# (never between '\r' and '\n').
_JAVA_END = r"(?:\Z|(?=\r\n\Z)|(?<!\r)(?=\n\Z)|(?=[\r\x85\u2028\u2029]\Z))"
_HORIZONTAL_WS = r" \t\xa0\u1680\u180e\u2000-\u200a\u202f\u205f\u3000"
_VERTICAL_WS = r"\n\x0b\f\r\x85\u2028\u2029"
_LINEBREAK = r"(?>\r\n|[\n\x0b\f\r\x85\u2028\u2029])"
# POSIX classes, US-ASCII only (Java's default without UNICODE_CHARACTER_CLASS).
_POSIX = {
    "Lower": "a-z",
    "Upper": "A-Z",
    "ASCII": r"\x00-\x7f",
    "Alpha": "a-zA-Z",
    "Digit": "0-9",
    "Alnum": "a-zA-Z0-9",
    "Punct": r"!-/:-@\[-`{-~",
    "Graph": r"!-~",
    "Print": r"\x20-\x7e",
    "Blank": r" \t",
    "Cntrl": r"\x00-\x1f\x7f",
    "XDigit": "0-9a-fA-F",
    "Space": r" \t\n\x0b\f\r",
}
# Escapes Python's re (with re.ASCII) reads exactly as Java does by default.
_SHARED_CLASS_ESCAPES = set("dDsSwW")
_SIMPLE_CHAR_ESCAPES = {"t": 0x09, "n": 0x0A, "r": 0x0D, "f": 0x0C, "a": 0x07, "e": 0x1B}
# Java's \b and \B. JDK 17 counts a character as a word character when it is '_' or
# Character.isLetterOrDigit, JDK 19+ (JDK-8264160) when it is ASCII [0-9A-Za-z_]; both also
# glue a non-spacing mark to a word character before it. On ASCII letters and digits they
# agree, so on text without non-ASCII letters, digits, non-spacing marks (or characters this
# Python's Unicode tables do not know) both are exactly an ASCII word boundary, written with
# lookarounds (Python's own \B does not match in an empty string; Java's does).
_WORD_CHAR = "[0-9A-Za-z_]"
_WORD_BOUNDARY = f"(?:(?<={_WORD_CHAR})(?!{_WORD_CHAR})|(?<!{_WORD_CHAR})(?={_WORD_CHAR}))"
_NOT_WORD_BOUNDARY = f"(?:(?<={_WORD_CHAR})(?={_WORD_CHAR})|(?<!{_WORD_CHAR})(?!{_WORD_CHAR}))"
_JVM_DEPENDENT_WORD_CATEGORIES = frozenset({"Lu", "Ll", "Lt", "Lm", "Lo", "Nd", "Mn", "Cn"})
_QUANTIFIER = re.compile(r"\{[0-9]+(,[0-9]*)?\}")
_GROUP_NAME = re.compile(r"[a-zA-Z][a-zA-Z0-9]*")
_HEX = set("0123456789abcdefABCDEF")


def _literal(cp: int) -> str:
    """A Python regex atom matching exactly code point ``cp`` (escaped unless alphanumeric)."""
    ch = chr(cp)
    if ch.isascii() and ch.isalnum():
        return ch
    if cp <= 0xFF:
        return f"\\x{cp:02x}"
    if cp <= 0xFFFF:
        return f"\\u{cp:04x}"
    return f"\\U{cp:08x}"


class _Frame:
    """A group being translated: its case-insensitivity and DOTALL state, and an open flag wrapper."""

    __slots__ = ("ignore_case", "dotall", "wrapped")

    def __init__(self, ignore_case: bool, dotall: bool) -> None:
        self.ignore_case = ignore_case
        self.dotall = dotall
        self.wrapped = False  # a "(?i:" / "(?-i:" emitted for a mid-group "(?i)" is open


class _Translator:
    """One pass over a Java pattern, emitting the equivalent Python pattern."""

    def __init__(self, pattern: str) -> None:
        self.p = pattern
        self.i = 0
        self.out: list[str] = []
        self.frames = [_Frame(False, False)]
        self.groups_opened = 0
        self.word_boundaries = False  # the pattern uses \b or \B

    # --- helpers --------------------------------------------------------------------------
    def fail(self, what: str) -> UntranslatableRegex:
        return UntranslatableRegex(f"{what} (at offset {self.i} of Java pattern {self.p!r})")

    def peek(self, k: int = 0) -> str:
        j = self.i + k
        return self.p[j] if j < len(self.p) else ""

    @property
    def frame(self) -> _Frame:
        return self.frames[-1]

    # --- top level ------------------------------------------------------------------------
    def run(self) -> str:
        while self.i < len(self.p):
            c = self.p[self.i]
            if c == "\\":
                self.out.append(self.escape_outside())
            elif c == "[":
                self.out.append(self.char_class())
            elif c == "(":
                self.open_group()
            elif c == ")":
                self.close_group()
            elif c == "|":
                self.i += 1
                self.alternation()
            elif c == ".":
                self.i += 1
                self.out.append("(?s:.)" if self.frame.dotall else _JAVA_DOT)
            elif c == "^":
                self.i += 1
                self.out.append(r"\A")
            elif c == "$":
                self.i += 1
                self.out.append(_JAVA_END)
            elif c in "*+?":
                self.i += 1
                self.out.append(c + self.quantifier_mode())
            elif c == "{":
                m = _QUANTIFIER.match(self.p, self.i)
                if m is None:
                    raise self.fail("'{' that is not a {n}, {n,} or {n,m} quantifier")
                self.i = m.end()
                self.out.append(m.group(0) + self.quantifier_mode())
            else:
                self.i += 1
                self.out.append(_literal(ord(c)))
        if len(self.frames) != 1:
            raise self.fail("unclosed group")
        if self.frame.wrapped:
            self.out.append(")")
        return "".join(self.out)

    def quantifier_mode(self) -> str:
        """A lazy '?' or possessive '+' suffix (Python 3.11 supports both)."""
        c = self.peek()
        if c in ("?", "+"):
            self.i += 1
            return c
        return ""

    def alternation(self) -> None:
        # A mid-group "(?i)" stays on across '|' in Java: close the wrapper and reopen it.
        f = self.frame
        if f.wrapped:
            self.out.append(")|" + ("(?i:" if f.ignore_case else "(?-i:"))
        else:
            self.out.append("|")

    # --- groups and inline flags ----------------------------------------------------------
    def open_group(self) -> None:
        p, i = self.p, self.i
        outer = self.frame
        if p.startswith("(?", i):
            rest = p[i + 2 : i + 4]
            if rest[:1] in (":", "=", "!", ">"):
                self.i = i + 3
                self.push(outer.ignore_case, outer.dotall, "(?" + rest[0])
                return
            if rest in ("<=", "<!"):
                self.i = i + 4
                self.push(outer.ignore_case, outer.dotall, "(?" + rest)
                return
            if rest[:1] == "<":
                m = _GROUP_NAME.match(p, i + 3)
                if m is None or p[m.end() : m.end() + 1] != ">":
                    raise self.fail("malformed named group")
                self.i = m.end() + 1
                self.groups_opened += 1
                self.push(outer.ignore_case, outer.dotall, f"(?P<{m.group(0)}>")
                return
            self.inline_flags()
            return
        self.i = i + 1
        self.groups_opened += 1
        self.push(outer.ignore_case, outer.dotall, "(")

    def push(self, ignore_case: bool, dotall: bool, opener: str) -> None:
        self.out.append(opener)
        self.frames.append(_Frame(ignore_case, dotall))

    def close_group(self) -> None:
        if len(self.frames) == 1:
            raise self.fail("unmatched ')'")
        f = self.frames.pop()
        self.out.append("))" if f.wrapped else ")")
        self.i += 1

    def inline_flags(self) -> None:
        """``(?is-i)`` (rest of the group) or ``(?is-i:X)`` (scoped); only i and s translate."""
        j = self.i + 2
        on = True
        ignore_case, dotall = self.frame.ignore_case, self.frame.dotall
        while j < len(self.p) and self.p[j] not in ":)":
            c = self.p[j]
            if c == "-":
                on = False
            elif c == "i":
                ignore_case = on
            elif c == "s":
                dotall = on
            elif c in "mdxuUc":
                names = {
                    "m": "MULTILINE",
                    "d": "UNIX_LINES",
                    "x": "COMMENTS",
                    "u": "UNICODE_CASE",
                    "U": "UNICODE_CHARACTER_CLASS",
                    "c": "CANON_EQ",
                }
                raise self.fail(f"inline flag '{c}' ({names[c]}) changes matching in ways Python re cannot follow")
            else:
                raise self.fail(f"unknown inline flag {c!r}")
            j += 1
        if j >= len(self.p):
            raise self.fail("unclosed inline flag group")
        case_group = "(?i:" if ignore_case else "(?-i:"
        if self.p[j] == ":":
            self.i = j + 1
            opener = case_group if ignore_case != self.frame.ignore_case else "(?:"
            self.push(ignore_case, dotall, opener)
            return
        # "(?i)": applies to the rest of the enclosing group.
        self.i = j + 1
        f = self.frame
        if ignore_case != f.ignore_case:
            if f.wrapped:
                self.out.append(")")
            self.out.append(case_group)
            f.wrapped = True
        f.ignore_case = ignore_case
        f.dotall = dotall

    # --- escapes --------------------------------------------------------------------------
    def escape_outside(self) -> str:
        """Translate the escape at ``self.i`` (a backslash) outside a character class."""
        c = self.peek(1)
        if c == "":
            raise self.fail("trailing backslash")
        if c in _SHARED_CLASS_ESCAPES:
            self.i += 2
            return "\\" + c
        if c == "A":
            self.i += 2
            return r"\A"
        if c == "z":
            self.i += 2
            return r"\Z"
        if c == "Z":
            self.i += 2
            return _JAVA_END
        if c == "R":
            self.i += 2
            return _LINEBREAK
        if c in "hv":
            self.i += 2
            return "[" + (_HORIZONTAL_WS if c == "h" else _VERTICAL_WS) + "]"
        if c in "HV":
            self.i += 2
            return "[^" + (_HORIZONTAL_WS if c == "H" else _VERTICAL_WS) + "]"
        if c in "pP":
            body = self.posix_class()
            return ("[" if c == "p" else "[^") + body + "]"
        if c == "Q":
            return "".join(_literal(ord(ch)) for ch in self.quoted())
        if c == "k":
            m = re.compile(r"\\k<([a-zA-Z][a-zA-Z0-9]*)>").match(self.p, self.i)
            if m is None:
                raise self.fail("malformed named back-reference")
            self.i = m.end()
            return f"(?P={m.group(1)})"
        if c in "123456789":
            return self.back_reference()
        if c in "bB":
            # Exact only on text without the characters JVM versions disagree on: see
            # word_boundary_ambiguity, which the stage checks on every row.
            self.i += 2
            self.word_boundaries = True
            return _WORD_BOUNDARY if c == "b" else _NOT_WORD_BOUNDARY
        if c in "GXN":
            raise self.fail(f"\\{c} has no Python equivalent")
        cp = self.char_escape()
        return _literal(cp)

    def char_escape(self) -> int:
        """The code point of a single-character escape at ``self.i`` (\\t, \\x41, \\u00e9, \\0101, \\cX, \\.)."""
        p = self.p
        c = self.peek(1)
        if c in _SIMPLE_CHAR_ESCAPES:
            self.i += 2
            return _SIMPLE_CHAR_ESCAPES[c]
        if c == "0":
            j = self.i + 2
            digits = ""
            while j < len(p) and len(digits) < 3 and p[j] in "01234567":
                if len(digits) == 2 and digits[0] not in "0123":
                    break
                digits += p[j]
                j += 1
            if not digits:
                raise self.fail("illegal octal escape")
            self.i = j
            return int(digits, 8)
        if c == "x":
            if self.peek(2) == "{":
                end = p.find("}", self.i + 3)
                hexd = p[self.i + 3 : end] if end > 0 else ""
                if not hexd or not set(hexd) <= _HEX or int(hexd, 16) > 0x10FFFF:
                    raise self.fail("illegal \\x{...} escape")
                self.i = end + 1
                return self.not_surrogate(int(hexd, 16))
            hexd = p[self.i + 2 : self.i + 4]
            if len(hexd) != 2 or not set(hexd) <= _HEX:
                raise self.fail("illegal \\x escape")
            self.i += 4
            return int(hexd, 16)
        if c == "u":
            cp = self.u_escape(self.i)
            self.i += 6
            if 0xD800 <= cp <= 0xDBFF and p.startswith("\\u", self.i):
                low = self.u_escape(self.i)
                if 0xDC00 <= low <= 0xDFFF:
                    self.i += 6
                    return 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00)
            return self.not_surrogate(cp)
        if c == "c":
            if self.i + 2 >= len(p):
                raise self.fail("illegal control escape")
            self.i += 3
            return ord(p[self.i - 1]) ^ 64
        if c.isascii() and c.isalnum():
            # Java rejects a backslash before any letter or digit that is not an escape.
            raise self.fail(f"unknown escape \\{c}")
        self.i += 2
        return ord(c)

    def u_escape(self, at: int) -> int:
        hexd = self.p[at + 2 : at + 6]
        if len(hexd) != 4 or not set(hexd) <= _HEX:
            raise self.fail("illegal \\u escape")
        return int(hexd, 16)

    def not_surrogate(self, cp: int) -> int:
        if 0xD800 <= cp <= 0xDFFF:
            raise self.fail("an unpaired surrogate escape")
        return cp

    def posix_class(self) -> str:
        """The class body of ``\\p{Name}``; only the US-ASCII POSIX classes translate."""
        m = re.compile(r"\\[pP]\{([A-Za-z]+)\}").match(self.p, self.i)
        if m is None or m.group(1) not in _POSIX:
            # Java 17 reads them from Unicode 13, Java 21 from Unicode 15, this Python from its own
            # version, and no table of when each character was assigned is at hand: a letter new
            # in Unicode 14 is \p{L} for one JVM and not for the other, so nothing here is exact.
            raise self.fail(
                "Unicode property classes (\\p{..}) other than the US-ASCII POSIX ones (\\p{Alpha}, \\p{Punct}, ...) "
                "depend on the JVM's Unicode version (Java 17: Unicode 13, Java 21: Unicode 15); "
                "use a POSIX class or explicit ranges"
            )
        if m.group(1) in ("Lower", "Upper") and self.frame.ignore_case:
            raise self.fail("\\p{Lower}/\\p{Upper} under case-insensitive matching")
        self.i = m.end()
        return _POSIX[m.group(1)]

    def quoted(self) -> str:
        """The literal text of ``\\Q...\\E`` (to the end of the pattern without ``\\E``)."""
        end = self.p.find("\\E", self.i + 2)
        if end < 0:
            text, self.i = self.p[self.i + 2 :], len(self.p)
        else:
            text, self.i = self.p[self.i + 2 : end], end + 2
        return text

    def back_reference(self) -> str:
        """``\\N``: Java reads further digits only while the group number stays defined."""
        num = int(self.p[self.i + 1])
        j = self.i + 2
        while j < len(self.p) and self.p[j].isdigit() and self.p[j].isascii():
            longer = num * 10 + int(self.p[j])
            if longer > self.groups_opened:
                break
            num, j = longer, j + 1
        if num > self.groups_opened:
            raise self.fail(f"back-reference \\{num} to a group that does not exist yet")
        self.i = j
        # Grouped, so a following literal digit is not read as part of the number.
        return f"(?:\\{num})"

    # --- character classes ----------------------------------------------------------------
    def char_class(self) -> str:
        """Translate ``[...]``; unions of nested classes and ``&&`` intersections are refused."""
        p = self.p
        self.i += 1
        negate = self.peek() == "^"
        if negate:
            self.i += 1
        parts: list[str] = []
        first = True
        while True:
            if self.i >= len(p):
                raise self.fail("unclosed character class")
            c = p[self.i]
            if c == "]" and not first:
                self.i += 1
                break
            first = False
            if c == "[":
                raise self.fail("nested character classes")
            if c == "&" and self.peek(1) == "&":
                raise self.fail("character class intersection '&&'")
            atom = self.class_atom()
            if isinstance(atom, int) and self.peek() == "-" and self.peek(1) not in ("]", "", "["):
                self.i += 1
                high = self.class_atom()
                if not isinstance(high, int):
                    raise self.fail("a range ending in a class escape")
                if high < atom:
                    raise self.fail("illegal character range")
                parts.append(_literal(atom) + "-" + _literal(high))
            elif isinstance(atom, int):
                parts.append(_literal(atom))
            else:
                parts.append(atom)
        return ("[^" if negate else "[") + "".join(parts) + "]"

    def class_atom(self) -> int | str:
        """One member of a class: a code point, or a class body fragment (\\d, \\h, \\p{..})."""
        c = self.p[self.i]
        if c != "\\":
            cp = ord(c)
            self.i += 1
            return cp
        e = self.peek(1)
        if e in _SHARED_CLASS_ESCAPES:
            self.i += 2
            return "\\" + e
        if e in "hv":
            self.i += 2
            return _HORIZONTAL_WS if e == "h" else _VERTICAL_WS
        if e == "p":
            return self.posix_class()
        if e in "HVP":
            raise self.fail(f"negated class escape \\{e} inside a character class")
        if e == "Q":
            return "".join(_literal(ord(ch)) for ch in self.quoted())
        if e in "123456789bBAzZRGXNk":
            raise self.fail(f"\\{e} inside a character class")
        return self.char_escape()


def translate_java_regex(pattern: str) -> str:
    """The Python ``re`` pattern (for ``re.ASCII``) that matches exactly what the Java one does.

    Raises :class:`UntranslatableRegex` naming the construct when no faithful translation exists.
    """
    return _Translator(pattern).run()


def uses_word_boundaries(pattern: str) -> bool:
    """Whether the Java pattern uses ``\\b`` or ``\\B`` (then check rows with :func:`word_boundary_ambiguity`)."""
    translator = _Translator(pattern)
    translator.run()
    return translator.word_boundaries


def word_boundary_ambiguity(text: str) -> str | None:
    """The first character of ``text`` on which JVM versions disagree about ``\\b``, or None.

    Those are non-ASCII letters, decimal digits and non-spacing marks (JDK 17 counts them as
    word characters, JDK 19+ does not), and characters unassigned in this Python's Unicode
    tables (a newer JVM may know them as letters).
    """
    if text.isascii():
        return None
    for ch in text:
        if ord(ch) > 0x7F and unicodedata.category(ch) in _JVM_DEPENDENT_WORD_CATEGORIES:
            return ch
    return None


def compile_java_regex(pattern: str) -> re.Pattern[str]:
    """Translate and compile a Java regex (``re.ASCII``: Java's \\d, \\s, \\w and case folding are ASCII)."""
    translated = translate_java_regex(pattern)
    try:
        return re.compile(translated, re.ASCII)
    except re.error as exc:
        # e.g. a variable-length look-behind, which Java accepts when bounded.
        raise UntranslatableRegex(f"Java pattern {pattern!r} has no Python equivalent: {exc}") from None


def _java_spans(rx: re.Pattern[str], text: str, *, strict: bool = True) -> Iterator[tuple[int, int]]:
    """Match spans in the order ``Matcher.find()`` visits them.

    After an empty match Java resumes one UTF-16 unit later, where Python retries the same
    position for a non-empty match; the two agree until the first empty match. An empty
    match before a non-BMP character makes Java resume inside its surrogate pair: with
    ``strict`` that raises :class:`NonBmpEmptyMatch`; without it the character is stepped
    over, which yields the same non-empty matches for any pattern that does not look at
    the pair's halves.
    """
    pos, n = 0, len(text)
    while pos <= n:
        m = rx.search(text, pos)
        if m is None:
            return
        start, end = m.span()
        yield start, end
        if end == start:
            if strict and end < n and ord(text[end]) > 0xFFFF:
                raise NonBmpEmptyMatch(f"empty regex match before {text[end]!r}, outside the Basic Multilingual Plane")
            pos = end + 1
        else:
            pos = end


def java_find_all(rx: re.Pattern[str], text: str, *, keep_empty: bool = True) -> list[str]:
    """Scala's ``regex.findAllIn(text).toSeq``: every match, as ``Matcher.find()`` returns them.

    ``keep_empty=False`` drops empty matches (a minTokenLength >= 1 would drop them anyway).
    """
    if not keep_empty:
        return [text[a:b] for a, b in _java_spans(rx, text, strict=False) if b > a]
    return [text[a:b] for a, b in _java_spans(rx, text)]


def java_split(rx: re.Pattern[str], text: str) -> list[str]:
    """Java's ``Pattern.split(text)`` (limit 0): no leading empty piece for an empty match at 0,
    the input itself when nothing matched, trailing empty pieces removed."""
    pieces: list[str] = []
    index = 0
    for start, end in _java_spans(rx, text):
        if index == 0 and start == 0 and end == 0:
            continue
        pieces.append(text[index:start])
        index = end
    if index == 0:
        return [text]
    pieces.append(text[index:])
    while pieces and pieces[-1] == "":
        pieces.pop()
    return pieces


def utf16_length(s: str) -> int:
    """Java's ``String.length()``: UTF-16 code units, so a character outside the BMP counts 2."""
    if s.isascii():
        return len(s)
    return len(s) + sum(1 for ch in s if ord(ch) > 0xFFFF)


# --- lower-casing --------------------------------------------------------------------------
_COMBINING_ABOVE = 230


def _before_dot(text: str, k: int) -> bool:
    """ConditionalSpecialCasing BEFORE_DOT: U+0307 follows with only non-0/230 marks between."""
    for ch in text[k + 1 :]:
        if ch == "\u0307":
            return True
        if unicodedata.combining(ch) in (0, _COMBINING_ABOVE):
            return False
    return False


def _after_i(text: str, k: int) -> bool:
    """ConditionalSpecialCasing AFTER_I: an 'I' precedes with only non-0/230 marks between."""
    for ch in reversed(text[:k]):
        if ch == "I":
            return True
        if unicodedata.combining(ch) in (0, _COMBINING_ABOVE):
            return False
    return False


def _turkic_lower(text: str) -> str:
    """``toLowerCase`` for Turkish/Azeri: I → ı, İ → i, and I + U+0307 → i."""
    if "I" not in text and "\u0130" not in text:
        return text.lower()
    out = []
    for k, ch in enumerate(text):
        if ch == "\u0130":
            out.append("i")
        elif ch == "I":
            out.append("i" if _before_dot(text, k) else "\u0131")
        elif ch == "\u0307" and _after_i(text, k):
            continue
        else:
            out.append(ch)
    # The remaining characters lower-case as in any locale; dropped U+0307 marks are
    # case-ignorable, so the final-sigma context is unchanged.
    return "".join(out).lower()


def locale_language(locale: str) -> str:
    """The language Java's ``new Locale(locale)`` reports: the whole string, lower-cased.

    Spark builds the locale with the one-argument constructor, so "tr_TR" has language
    "tr_tr" and gets no Turkish rules; only "tr" and "az" do.
    """
    return locale.lower()


def java_lower_locale(text: str, language: str) -> str:
    """``String.toLowerCase(new Locale(language))`` for any language but Lithuanian ("lt")."""
    if language in ("tr", "az"):
        return _turkic_lower(text)
    return text.lower()


def ngrams(tokens: list[str | None], n: int) -> list[str]:
    """Spark's NGram: space-joined windows of ``n`` tokens (none when fewer); null prints "null"."""
    words = ["null" if t is None else t for t in tokens]
    return [" ".join(words[k : k + n]) for k in range(len(words) - n + 1)]
