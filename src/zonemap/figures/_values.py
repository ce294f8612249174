"""Stated values and units as planners write them: unit forms, 万/亿, qualifiers, digits as written."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..schema import (
    QUALIFIERS,
    UNIT_FORMS,
    VALUE_MULTIPLIERS,
)

__all__ = ["decimals_as_written", "parse_values", "unit_form"]


def _exponent(multiplier: int) -> int:
    text = str(multiplier)
    if text.rstrip("0") != "1":
        raise ValueError(f"multiplier {multiplier} is not a power of ten")  # pragma: no cover - schema bug
    return len(text) - 1


def _unit_key(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)).casefold()


def _build_unit_lookup() -> dict[str, tuple[str, int]]:
    lookup: dict[str, tuple[str, int]] = {}
    for written, form in UNIT_FORMS.items():
        key, value = _unit_key(written), (form.code, _exponent(form.multiplier))
        if lookup.setdefault(key, value) != value:  # pragma: no cover - schema bug
            raise ValueError(f"unit forms {written!r} and another read the same but differ")
    return lookup


_UNIT_LOOKUP = _build_unit_lookup()


_MULT_EXP = {w: _exponent(m) for w, m in VALUE_MULTIPLIERS.items()}


def _alternation(words: Collection[str]) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


_BEFORE = _alternation([w for w, q in QUALIFIERS.items() if q.placement == "before"])


_AFTER = _alternation([w for w, q in QUALIFIERS.items() if q.placement == "after"])


_VALUE = re.compile(
    rf"^(?P<pre>{_BEFORE})?(?P<sign>[-−])?"
    r"(?P<num>[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?|[0-9]+(?:\.[0-9]+)?)"
    rf"(?P<mid>{_AFTER})?(?P<mult>{_alternation(VALUE_MULTIPLIERS)})?"
    rf"(?P<unit>(?i:{_alternation({unicodedata.normalize('NFKC', w) for w in UNIT_FORMS})}))?(?P<post>{_AFTER})?$"
)


def unit_form(text: str) -> tuple[str, int] | None:
    """The ascii unit code and power-of-ten multiplier of a unit as written.

    Parameters
    ----------
    text
        A unit as written: ``"万平方米"``, ``"㎡"``, ``"KM²"``, ``"mu"``.

    Returns
    -------
    tuple of (str, int) or None
        ``("m2", 10000)`` for ``"万平方米"``; ``None`` for an unknown unit.
    """
    found = _UNIT_LOOKUP.get(_unit_key(text))
    return None if found is None else (found[0], 10 ** found[1])


def decimals_as_written(text: str) -> int:
    """Count the digits after the decimal point as written.

    Parameters
    ----------
    text
        A number as written in the source, e.g. ``"245.98"`` or ``"1.2万"``.

    Returns
    -------
    int
        ``2`` for ``"245.98"``, ``0`` for ``"2780"`` and ``"12,000"``, ``1`` for ``"1.2万"``.
    """
    _, _, frac = unicodedata.normalize("NFKC", text).partition(".")
    return len(re.match(r"[0-9]*", frac).group())  # type: ignore[union-attr]  # always matches


def _arrow_text(values: pd.Series) -> pa.Array:
    """A column as an Arrow string array (non-text cells as their ``str``, missing as ``""``)."""
    if not pd.api.types.is_string_dtype(values.dtype) or values.isna().any():
        values = values.astype(object).where(values.notna(), "").astype(str)
    return pa.array(values, type=pa.large_string(), from_pandas=True)


def _series(arr: pa.Array | pa.ChunkedArray, index: pd.Index) -> pd.Series:
    """An Arrow string array as a pandas ``str`` column, without a copy per value."""
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    return pd.Series(pd.arrays.ArrowStringArray(arr.cast(pa.large_string())), index=index).astype(str)


def _text(word: str) -> pa.Scalar:
    return pa.scalar(word, pa.large_string())


def _field(match: pa.StructArray, name: str) -> pa.Array:
    return pc.fill_null(pc.struct_field(match, name), _text(""))


def parse_values(values: pd.Series) -> pd.DataFrame:
    """Read numbers as planners write them, all at once (Arrow string kernels, RE2).

    Parameters
    ----------
    values
        Text cells (``"约1.2万"``, ``"12，000"``, ``"６.７以上"``, ``"245.98"``).

    Returns
    -------
    pandas.DataFrame
        Same index, columns ``ok`` (the text is a number in a form zonemap reads),
        ``qualifier`` (the qualifier word written in the value, ``""`` if none), ``digits``
        (ascii, without separators or sign), ``decimals`` (digits after the point),
        ``multiplier_word`` (``万`` / ``亿`` / ``""``), ``exponent`` (its power of ten),
        ``unit`` (a unit written after the number, ``245.98亩``; ``""`` if none), ``negative``
        (written with a minus sign) and ``two_qualifiers`` (more than one qualifier word in
        one value).
    """
    text = pc.replace_substring_regex(pc.utf8_normalize(_arrow_text(values), "NFKC"), r"\s+", "")
    m = pc.extract_regex(text, _VALUE.pattern)
    matched = pc.is_valid(m).to_numpy(zero_copy_only=False)
    pre, mid, post = (_field(m, k) for k in ("pre", "mid", "post"))
    n_words = sum(pc.not_equal(w, "").to_numpy(zero_copy_only=False).astype(int) for w in (pre, mid, post))
    qualifier = pc.if_else(pc.not_equal(pre, ""), pre, pc.if_else(pc.not_equal(mid, ""), mid, post))
    digits = pc.replace_substring(_field(m, "num"), ",", "")
    point = pc.find_substring(digits, ".").to_numpy(zero_copy_only=False)
    length = pc.utf8_length(digits).to_numpy(zero_copy_only=False)
    mult = _field(m, "mult")
    exponent = np.zeros(len(values), dtype=np.int64)
    for word, exp in _MULT_EXP.items():
        exponent[pc.equal(mult, word).to_numpy(zero_copy_only=False)] = exp
    return pd.DataFrame(
        {
            "ok": matched & (n_words <= 1),
            "qualifier": _series(qualifier, values.index),
            "digits": _series(digits, values.index),
            "decimals": np.where(point >= 0, length - point - 1, 0).astype(np.int64),
            "multiplier_word": _series(mult, values.index),
            "unit": _series(_field(m, "unit"), values.index),
            "exponent": exponent,
            "negative": pc.not_equal(_field(m, "sign"), "").to_numpy(zero_copy_only=False),
            "two_qualifiers": matched & (n_words > 1),
        },
        index=values.index,
    )
