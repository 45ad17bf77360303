"""What is wrong with an input file: one :class:`Problem` per file, row and field."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any

from gridmgmt.errors import InvalidInputError

_FIELDS = ("file", "row", "field", "message")


@dataclass(frozen=True, order=True)
class Problem(Mapping[str, Any]):
    """One thing wrong with an input file.

    Also a read-only mapping of ``file``, ``row``, ``field`` and ``message``: the shape of
    :attr:`gridmgmt.errors.InvalidInputError.problems`, which both faces print or return.

    Parameters
    ----------
    file
        The file as the user named it.
    row
        The row as the user sees it: the line number in a CSV file (the header is line 1),
        the spreadsheet row in an Excel sheet, the feature number (from 1) in GeoJSON,
        GeoPackage and Shapefile. ``None`` for problems of the whole file or a column.
    field
        The canonical field name (``licence_no``, ``lon``...), or ``None``.
    message
        What is wrong, and what would be accepted.
    """

    file: str
    row: int | None
    field: str | None
    message: str

    def __str__(self) -> str:
        row = "" if self.row is None else f"{self.row}:"
        field = "" if self.field is None else f" {self.field}:"
        return f"{self.file}:{row}{field} {self.message}"

    def __getitem__(self, key: str) -> Any:
        if key not in _FIELDS:
            raise KeyError(key)
        return getattr(self, key)

    def __iter__(self) -> Iterator[str]:
        return iter(_FIELDS)

    def __len__(self) -> int:
        return len(_FIELDS)


assert tuple(f.name for f in fields(Problem)) == _FIELDS


class ImportValidationError(InvalidInputError):
    """An input file cannot be imported; :attr:`problems` lists everything wrong with it.

    Nothing has been written. The CLI prints each problem (file, row, field, message) and
    exits 2; the API answers 422 with the problems in its body.

    Parameters
    ----------
    problems
        Every problem found, in file order.
    """

    problems: list[Problem]  # type: ignore[assignment]  # Problems are mappings too

    def __init__(self, problems: Sequence[Problem]) -> None:
        ordered = in_file_order(problems)
        shown = "\n".join(str(problem) for problem in ordered[:20])
        more = len(ordered) - 20
        tail = f"\n... and {more} more" if more > 0 else ""
        summary = f"{len(ordered)} problem(s); nothing was imported."
        super().__init__(summary, ordered)
        self.full_message = f"{summary}:\n{shown}{tail}"

    def __str__(self) -> str:
        return self.full_message


def in_file_order(problems: Iterable[Problem]) -> list[Problem]:
    """Problems sorted by file and row (whole-file problems first); stable within a row."""
    return sorted(problems, key=lambda p: (p.file, -1 if p.row is None else p.row))


def raise_if_any(problems: Iterable[Problem]) -> None:
    """Raise :class:`ImportValidationError` if there is at least one problem."""
    collected = list(problems)
    if collected:
        raise ImportValidationError(collected)
