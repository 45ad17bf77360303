"""What is wrong with an input file: one :class:`Problem` per file, row and field."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with an input file.

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


class ImportValidationError(ValueError):
    """An input file cannot be imported; :attr:`problems` lists everything wrong with it.

    Parameters
    ----------
    problems
        Every problem found, in file order.
    """

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems: list[Problem] = in_file_order(problems)
        shown = "\n".join(str(problem) for problem in self.problems[:20])
        more = len(self.problems) - 20
        tail = f"\n... and {more} more" if more > 0 else ""
        super().__init__(f"{len(self.problems)} problem(s) in the input:\n{shown}{tail}")


def in_file_order(problems: Iterable[Problem]) -> list[Problem]:
    """Problems sorted by file and row (whole-file problems first); stable within a row."""
    return sorted(problems, key=lambda p: (p.file, -1 if p.row is None else p.row))


def raise_if_any(problems: Iterable[Problem]) -> None:
    """Raise :class:`ImportValidationError` if there is at least one problem."""
    collected = list(problems)
    if collected:
        raise ImportValidationError(collected)
