"""Cells a spreadsheet shows as text, never runs (CSV/Excel formula injection, 公式注入).

A shop named ``=HYPERLINK("http://x","点此")`` or ``+cmd|' /C calc'!A0`` becomes a formula
when a CSV file is opened in Excel or WPS, and a cell written by openpyxl whose text starts
with ``=`` is stored as a formula. Every sheet a user opens passes its text through here:

- CSV: text starting with ``= + - @``, a tab or a carriage return gets a leading apostrophe
  (the usual guard), unless it is a plain number or phone number (``-12``, ``+86 139-4746-1234``),
  which no spreadsheet can run;
- Excel: the text is kept as it is and typed as a string cell, so it shows verbatim.
"""

from __future__ import annotations

import re
from typing import Any, Final

import pandas as pd
from openpyxl.worksheet.worksheet import Worksheet

__all__ = ["FORMULA_STARTS", "inert_frame", "inert_text", "keep_text_as_text"]

FORMULA_STARTS: Final = ("=", "+", "-", "@", "\t", "\r")
"""First characters that make a spreadsheet read a cell as a formula."""
_NUMBER_LIKE: Final = re.compile(r"[+-]?[\d\s().-]*\d[\d\s().-]*")


def inert_text(value: Any) -> Any:
    """``value`` made safe for a CSV cell: formula-like text gets a leading apostrophe.

    Non-text values and text that cannot run (a number, a phone number) are returned as
    they are.
    """
    if not isinstance(value, str) or not value.startswith(FORMULA_STARTS):
        return value
    if _NUMBER_LIKE.fullmatch(value):
        return value
    return "'" + value


def inert_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells (and headers) pass :func:`inert_text`."""
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column]):
            out[column] = out[column].map(inert_text)
    out.columns = [inert_text(c) for c in out.columns]
    return out


def keep_text_as_text(sheet: Worksheet) -> Worksheet:
    """Type every cell of ``sheet`` holding text that starts with ``=`` as a string.

    openpyxl stores such text as a formula; typed as a string it shows as written. Call
    it after the sheet is filled with data (a sheet with formulas of its own must not).
    """
    for row in sheet.iter_rows():
        for cell in row:
            if cell.data_type == "f" and isinstance(cell.value, str):
                cell.data_type = "s"
    return sheet
