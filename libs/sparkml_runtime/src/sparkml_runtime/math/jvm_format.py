"""How the JVM prints numbers, for stages that turn numbers into strings (StringIndexer, FeatureHasher).

Spark casts a double to string with ``Double.toString``. Up to JDK 18 that is the old
``FloatingDecimal`` algorithm, which prints every digit of an integral double below 2^63
(``3.1189590074653139E17``); from JDK 19 it prints the shortest round-tripping digits, as
Python's ``repr`` does (``3.118959007465314E17``). Both spellings are provided so a lookup
can accept labels written by either JVM.
"""

from __future__ import annotations

import math

# FloatingDecimal.insignificantDigitsNumber: decimal digits below the precision of 2^k.
_INSIGNIFICANT_DIGITS = (
    0, 0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 5, 5, 5, 6, 6, 6, 6, 7, 7, 7,
    8, 8, 8, 9, 9, 9, 9, 10, 10, 10, 11, 11, 11, 12, 12, 12, 12, 13, 13, 13, 14, 14, 14,
    15, 15, 15, 15, 16, 16, 16, 17, 17, 17, 18, 18, 18, 19,
)  # fmt: skip
_TWO_63 = float(1 << 63)


def _layout(digits: str, dec_exp: int) -> str:
    """Java's layout of ``0.<digits> * 10^dec_exp`` (digits without trailing zeros)."""
    if 0 < dec_exp < 8:
        if dec_exp >= len(digits):
            return digits + "0" * (dec_exp - len(digits)) + ".0"
        return digits[:dec_exp] + "." + digits[dec_exp:]
    if -3 < dec_exp <= 0:
        return "0." + "0" * (-dec_exp) + digits
    return digits[0] + "." + (digits[1:] or "0") + "E" + str(dec_exp - 1)


def _special(d: float) -> str | None:
    if math.isnan(d):
        return "NaN"
    if math.isinf(d):
        return "Infinity" if d > 0 else "-Infinity"
    if d == 0.0:
        return "-0.0" if math.copysign(1.0, d) < 0 else "0.0"
    return None


def _shortest_digits(a: float) -> tuple[str, int]:
    """Shortest round-tripping digits of ``a > 0`` and the decimal exponent of ``0.<digits>``."""
    mantissa, _, exp = repr(a).partition("e")
    whole, _, frac = mantissa.partition(".")
    e = int(exp) if exp else 0
    digits = (whole + frac).lstrip("0")
    # 0.<digits> * 10^dec_exp: count the leading zeros of the fraction when the whole part is 0.
    dec_exp = len(whole) + e if whole != "0" else e - (len(frac) - len(frac.lstrip("0")))
    return digits.rstrip("0") or "0", dec_exp


def _jdk17_long_digits(a: float) -> tuple[str, int]:
    """FloatingDecimal's digits for an integral ``0 < a < 2^63`` (developLongDigits)."""
    bin_exp = math.frexp(a)[1] - 1  # a = 1.f * 2^bin_exp
    insignificant = 0
    # Normal doubles have 53 significant bits; above 2^54 the low decimal digits are noise.
    if bin_exp > 53:
        p2 = bin_exp - 53 - 1
        if 1 < p2 < len(_INSIGNIFICANT_DIGITS):
            insignificant = _INSIGNIFICANT_DIGITS[p2]
    value = int(a)
    dec_exp = 0
    if insignificant:
        pow10 = 10**insignificant
        value, residue = divmod(value, pow10)
        dec_exp = insignificant
        if residue >= pow10 // 2:
            value += 1
    text = str(value)
    stripped = text.rstrip("0")
    return stripped, dec_exp + len(text)


def jdk17_double_to_string(d: float) -> str:
    """``Double.toString(d)`` as JDK 8–18 print it (Spark on Java 17 casts doubles this way)."""
    special = _special(d)
    if special is not None:
        return special
    a = abs(d)
    if a < _TWO_63 and a == math.floor(a):
        digits, dec_exp = _jdk17_long_digits(a)
    else:
        # FloatingDecimal's general path mostly gives the shortest digits; it keeps an extra
        # digit in about 1 of 10^5 random doubles, which this does not reproduce.
        digits, dec_exp = _shortest_digits(a)
    return ("-" if d < 0 else "") + _layout(digits, dec_exp)


def shortest_double_to_string(d: float) -> str:
    """``Double.toString(d)`` as JDK 19+ print it: the shortest digits that round-trip."""
    special = _special(d)
    if special is not None:
        return special
    digits, dec_exp = _shortest_digits(abs(d))
    return ("-" if d < 0 else "") + _layout(digits, dec_exp)


def double_spellings(d: float) -> tuple[str, ...]:
    """Every JVM spelling of ``d`` (one, or two when JDK 17 and JDK 19+ differ)."""
    old = jdk17_double_to_string(d)
    new = shortest_double_to_string(d)
    return (old,) if old == new else (old, new)
