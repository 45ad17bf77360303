"""Reading case files (JSON or CSV): every problem with its row, and each case's head.

The engine's parsers (:mod:`gridmgmt.cases.model`) say what is malformed; the *heads* (row,
case number and county code of each case as written, read leniently) let the store checks run
on a file the parsers refused, so one run lists every problem of a file.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gridmgmt.cases.model import (
    CSV_ALIASES,
    CaseSet,
    CaseValidationError,
    decode_text,
    parse_cases_csv,
    parse_cases_json,
)
from gridmgmt.io.problems import Problem

__all__ = ["CaseFile", "Head", "problems_of", "read_case_file"]

Head = tuple[int | None, str, str]
"""(row, case number, county code) of a case as written."""


def problems_of(error: CaseValidationError, label: str) -> list[Problem]:
    """The parser's field errors as import problems of the file named ``label``."""
    return [Problem(label, e.row or None, e.field or None, e.message) for e in error.errors]


@dataclass(frozen=True)
class CaseFile:
    """A case file as read: the cases (None if the file has problems), the problems, and
    each case's number, county and row as written (for checks against the store)."""

    cases: CaseSet | None
    problems: list[Problem]
    heads: list[Head]

    @property
    def rows(self) -> dict[str, int]:
        """Case number -> the row where the case starts."""
        rows: dict[str, int] = {}
        for row, case_no, _county in self.heads:
            if row is not None:
                rows.setdefault(case_no, row)
        return rows


def read_case_file(path: Path, *, label: str | None = None) -> CaseFile:
    """Read a case file (``.json`` or ``.csv``), collecting every problem.

    Rows are the position of the case from 1 in JSON and the file line in CSV (the header is
    line 1). ``label`` names the file in problems (default ``path``).
    """
    label = str(path) if label is None else label
    suffix = path.suffix.lower()
    if suffix not in (".json", ".csv"):
        msg = f"case files are .json or .csv, got {suffix or 'no suffix'!r}"
        return CaseFile(None, [Problem(label, None, None, msg)], [])
    if not path.is_file():
        return CaseFile(None, [Problem(label, None, None, "the file does not exist")], [])
    from gridmgmt.io.limits import file_too_large, import_limits

    too_large = file_too_large(path, import_limits())
    if too_large is not None:
        return CaseFile(None, [Problem(label, None, "file", too_large)], [])
    try:
        text = decode_text(path.read_bytes())
    except ValueError as error:
        return CaseFile(None, [Problem(label, None, None, str(error))], [])
    heads = _case_heads(text, suffix)
    try:
        if suffix == ".json":
            cases = parse_cases_json(text, source=label)
        else:
            cases = parse_cases_csv(text, source=label)
    except CaseValidationError as error:
        return CaseFile(None, problems_of(error, label), heads)
    return CaseFile(cases, [], heads)


def _case_heads(text: str, suffix: str) -> list[Head]:
    """(row, case number, county code) of every case as written (its first row), read
    leniently: the parser reports what is malformed."""
    heads: list[Head] = []
    if suffix == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError:
            return heads
        if isinstance(data, Mapping):
            data = data.get("cases", [])
        for row, raw in enumerate(data if isinstance(data, list) else [], start=1):
            if isinstance(raw, Mapping):
                heads.append((row, _text(raw.get("case_no")), _text(raw.get("county_code"))))
        return heads
    reader = csv.reader(io.StringIO(text))
    header = [CSV_ALIASES.get(h.strip(), h.strip()) for h in next(reader, [])]
    if "case_no" not in header or "county_code" not in header:
        return heads
    number, county = header.index("case_no"), header.index("county_code")
    seen: set[str] = set()
    for line, values in enumerate(reader, start=2):
        if len(values) > max(number, county) and values[number].strip() not in seen:
            seen.add(values[number].strip())
            heads.append((line, values[number].strip(), values[county].strip()))
    return heads


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()
