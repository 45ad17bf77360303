"""Vectorised readers of text cells: one function per :class:`FieldType`.

Each parser takes a column of stripped text (``""`` for empty) and returns the parsed
values (``None`` where empty or bad) and an error message per cell (``None`` where fine).
Empty cells are never errors here; whether a field may be empty is decided by the caller.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely

from gridmgmt.domain import LABELS_ZH, parse_enum
from gridmgmt.io.schemas import FieldSpec, FieldType

_SIX_DIGITS = re.compile(r"[0-9]{6}")
TRUE_WORDS = ("true", "yes", "y", "t", "1", "是", "重点", "√", "✓")
FALSE_WORDS = ("false", "no", "n", "f", "0", "否", "非重点", "不是")
DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y%m%d", "%Y.%m.%d", "%Y年%m月%d日", "%Y-%m-%d %H:%M:%S")
TIME_FORMATS = ("%H:%M", "%H:%M:%S")


@dataclass(frozen=True)
class Parsed:
    """A parsed column: values (``None`` where empty or bad) and per-cell error messages."""

    values: pd.Series
    errors: pd.Series


def clean_text(column: pd.Series) -> pd.Series:
    """Cells as stripped ``str`` objects, ``""`` for empty."""
    values = column.to_numpy(dtype=object)
    stripped = [value.strip() if isinstance(value, str) else "" for value in values]
    return pd.Series(stripped, index=column.index, dtype=object)


def _fold(text: pd.Series) -> pd.Series:
    """Full-width digits and punctuation to ASCII (``１１３．５`` is ``113.5``)."""
    return text.map(lambda value: unicodedata.normalize("NFKC", value).strip())


def _no_errors(text: pd.Series) -> pd.Series:
    return pd.Series([None] * len(text), index=text.index, dtype=object)


def _messages(text: pd.Series, bad: npt.NDArray[np.bool_], make: Callable[[str], str]) -> pd.Series:
    errors = _no_errors(text)
    if bad.any():
        errors[bad] = [make(value) for value in text[bad]]
    return errors


def parse_text(spec: FieldSpec, text: pd.Series) -> Parsed:
    """Free text; too long is an error."""
    values = text.where(text != "", None)
    if spec.max_length is None:
        return Parsed(values, _no_errors(text))
    lengths = text.str.len().to_numpy(dtype=np.int64)
    bad = lengths > spec.max_length
    errors = _messages(
        text,
        bad,
        lambda value: f"is {len(value)} characters long; at most {spec.max_length} are allowed",
    )
    return Parsed(values.where(~bad, None), errors)


def parse_code(spec: FieldSpec, text: pd.Series) -> Parsed:
    """A 6-digit administrative division code (full-width digits are accepted)."""

    def read(value: str) -> tuple[object, str | None]:
        code = unicodedata.normalize("NFKC", value)
        if _SIX_DIGITS.fullmatch(code):
            return code, None
        return None, f"{value!r} is not a 6-digit administrative division code"

    return _by_unique(text, read)


def _numbers(text: pd.Series) -> npt.NDArray[np.float64]:
    numbers = pd.to_numeric(text.where(text != "", None), errors="coerce")
    values = np.array(numbers, dtype=np.float64)
    retry = np.isnan(values) & (text != "").to_numpy(dtype=bool)
    if retry.any():
        folded = _fold(text[retry]).str.replace(",", "", regex=False)
        values[retry] = np.asarray(pd.to_numeric(folded, errors="coerce"), dtype=np.float64)
    values[~np.isfinite(values)] = np.nan
    return values


def parse_number(spec: FieldSpec, text: pd.Series) -> Parsed:
    """A decimal number, within the field's bounds if it has any."""
    values = _numbers(text)
    present = (text != "").to_numpy(dtype=bool)
    low = -np.inf if spec.minimum is None else spec.minimum
    high = np.inf if spec.maximum is None else spec.maximum
    with np.errstate(invalid="ignore"):
        bad = present & (np.isnan(values) | (values < low) | (values > high))
    if spec.minimum is None and spec.maximum is None:
        expect = "a number"
    else:
        expect = f"a number from {_fmt(low)} to {_fmt(high)}"
    errors = _messages(text, bad, lambda value: f"must be {expect}, got {value!r}")
    out = pd.Series(values, index=text.index, dtype=object)
    return Parsed(out.where(present & ~bad, None), errors)


def parse_integer(spec: FieldSpec, text: pd.Series) -> Parsed:
    """A whole number within the field's bounds (``10.0`` is read as 10)."""
    values = _numbers(text)
    present = (text != "").to_numpy(dtype=bool)
    low = -np.inf if spec.minimum is None else spec.minimum
    high = np.inf if spec.maximum is None else spec.maximum
    with np.errstate(invalid="ignore"):
        bad = present & (
            np.isnan(values) | (values != np.round(values)) | (values < low) | (values > high)
        )
    expect = f"a whole number from {_fmt(low)} to {_fmt(high)}"
    errors = _messages(text, bad, lambda value: f"must be {expect}, got {value!r}")
    good = present & ~bad
    out = pd.Series([None] * len(text), index=text.index, dtype=object)
    if good.any():
        out[good] = values[good].astype(np.int64).tolist()
    return Parsed(out, errors)


def _fmt(bound: float) -> str:
    return str(int(bound)) if float(bound).is_integer() else str(bound)


def _by_unique(text: pd.Series, read: Callable[[str], tuple[object, str | None]]) -> Parsed:
    """Apply ``read`` (text -> value, error) once per distinct cell, then spread the results.

    Columns such as status or business type hold a handful of distinct values in 100,000s
    of rows, so reading each distinct value once is what makes them fast.
    """
    codes, uniques = pd.factorize(text.to_numpy(dtype=object))
    results = [read(value) if value != "" else (None, None) for value in uniques]
    values = np.array([value for value, _ in results] + [None], dtype=object)
    errors = np.array([error for _, error in results] + [None], dtype=object)
    return Parsed(
        pd.Series(values[codes], index=text.index, dtype=object),
        pd.Series(errors[codes], index=text.index, dtype=object),
    )


def parse_boolean(spec: FieldSpec, text: pd.Series) -> Parsed:
    """Yes/no in English or Chinese (是/否, true/false, 1/0, y/n)."""
    table = dict.fromkeys(TRUE_WORDS, True) | dict.fromkeys(FALSE_WORDS, False)
    allowed = "/".join(("是", "否", "true", "false", "yes", "no", "1", "0"))

    def read(value: str) -> tuple[object, str | None]:
        answer = table.get(unicodedata.normalize("NFKC", value).strip().lower())
        if answer is None:
            return None, f"{value!r} is not yes or no; use {allowed}"
        return answer, None

    return _by_unique(text, read)


def parse_enumeration(spec: FieldSpec, text: pd.Series) -> Parsed:
    """A member of the field's vocabulary: its value, Chinese label or a known synonym."""
    enum = spec.enum
    assert enum is not None

    def read(value: str) -> tuple[object, str | None]:
        try:
            return parse_enum(enum, value), None
        except ValueError as exc:
            return None, str(exc)

    return _by_unique(text, read)


def allowed_values(spec: FieldSpec) -> list[str]:
    """The vocabulary of an enumeration field as ``value (中文)`` strings."""
    assert spec.enum is not None
    return [f"{member.value} ({LABELS_ZH.get(member, member.value)})" for member in spec.enum]


def _parse_formats(text: pd.Series, formats: tuple[str, ...]) -> pd.Series:
    folded = text.where(text.str.isascii(), _fold(text))
    parsed = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns]")
    for fmt in formats:
        missing = parsed.isna() & (folded != "")
        if not missing.any():
            break
        parsed[missing] = pd.to_datetime(folded[missing], format=fmt, errors="coerce")
    return parsed


def parse_date(spec: FieldSpec, text: pd.Series) -> Parsed:
    """A calendar date (YYYY-MM-DD and the usual Chinese spellings)."""
    stamps = _parse_formats(text, DATE_FORMATS)
    midnight = stamps == stamps.dt.normalize()
    good = (stamps.notna() & midnight).to_numpy(dtype=bool)
    bad = ~good & (text != "").to_numpy(dtype=bool)
    errors = _messages(text, bad, lambda value: f"{value!r} is not a date like 2024-05-31")
    values = pd.Series([None] * len(text), index=text.index, dtype=object)
    if good.any():
        values[good] = [stamp.date() for stamp in stamps[good]]
    return Parsed(values, errors)


def parse_time(spec: FieldSpec, text: pd.Series) -> Parsed:
    """A time of day, HH:MM or HH:MM:SS."""
    stamps = _parse_formats(text, TIME_FORMATS)
    good = stamps.notna().to_numpy(dtype=bool)
    bad = ~good & (text != "").to_numpy(dtype=bool)
    errors = _messages(text, bad, lambda value: f"{value!r} is not a time like 08:30")
    values = pd.Series([None] * len(text), index=text.index, dtype=object)
    if good.any():
        values[good] = [stamp.time() for stamp in stamps[good]]
    return Parsed(values, errors)


def parse_wkt(spec: FieldSpec, text: pd.Series) -> Parsed:
    """Well-known text of a geometry (type and validity are checked by the caller)."""
    present = (text != "").to_numpy(dtype=bool)
    geoms = np.full(len(text), None, dtype=object)
    if present.any():
        geoms[present] = shapely.from_wkt(text[present].to_numpy(dtype=object), on_invalid="ignore")
    bad = present & pd.isna(geoms)
    errors = _messages(text, bad, lambda value: f"cannot read {_clip(value)!r} as WKT")
    return Parsed(pd.Series(geoms, index=text.index, dtype=object), errors)


def _clip(value: str, width: int = 40) -> str:
    return value if len(value) <= width else value[: width - 3] + "..."


PARSERS: dict[FieldType, Callable[[FieldSpec, pd.Series], Parsed]] = {
    FieldType.TEXT: parse_text,
    FieldType.CODE: parse_code,
    FieldType.INTEGER: parse_integer,
    FieldType.NUMBER: parse_number,
    FieldType.BOOLEAN: parse_boolean,
    FieldType.ENUM: parse_enumeration,
    FieldType.DATE: parse_date,
    FieldType.TIME: parse_time,
    FieldType.LON: parse_number,
    FieldType.LAT: parse_number,
    FieldType.POLYGON: parse_wkt,
}


def parse_column(spec: FieldSpec, text: pd.Series) -> Parsed:
    """Parse a column of stripped text as the field ``spec`` says."""
    return PARSERS[spec.value_type](spec, text)
