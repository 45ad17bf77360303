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


class ProblemList(list[Problem]):
    """Problems in file order, perhaps only the first of many: :attr:`total` counts them all.

    Parameters
    ----------
    problems
        The problems listed.
    total
        How many were found (default: as many as listed).
    """

    def __init__(self, problems: Iterable[Problem] = (), *, total: int | None = None) -> None:
        super().__init__(problems)
        self.total = len(self) if total is None else max(total, len(self))


class ImportValidationError(InvalidInputError):
    """An input file cannot be imported; :attr:`problems` lists what is wrong with it.

    Nothing has been written. The CLI prints each problem (file, row, field, message) and
    exits 2; the API answers 422 with the problems in its body. A file with thousands of
    problems lists the first ``limit`` in file order (the ``import_max_problems`` setting)
    and counts the rest in :attr:`total` and :attr:`not_shown`.

    Parameters
    ----------
    problems
        The problems found, in any order (a :class:`ProblemList` may carry a larger total).
    limit
        How many to list (default: the ``import_max_problems`` setting).
    """

    problems: list[Problem]  # type: ignore[assignment]  # Problems are mappings too

    def __init__(self, problems: Sequence[Problem], *, limit: int | None = None) -> None:
        if limit is None:
            from gridmgmt.io.limits import import_limits

            limit = import_limits().max_problems
        total = max(getattr(problems, "total", 0), len(problems))
        ordered = in_file_order(problems)[:limit]
        self.total = total
        self.not_shown = total - len(ordered)
        summary = f"{total} problem(s); nothing was imported."
        if self.not_shown:
            summary += f" The first {len(ordered)} are listed, {self.not_shown} more are not."
        super().__init__(summary, ordered)
        shown = "\n".join(str(problem) for problem in ordered[:20])
        more = total - min(len(ordered), 20)
        tail = f"\n... and {more} more" if more > 0 else ""
        self.full_message = f"{summary}:\n{shown}{tail}"

    def details(self) -> dict[str, Any]:
        return {
            "problems": [dict(problem) for problem in self.problems],
            "problems_total": self.total,
            "problems_not_shown": self.not_shown,
        }

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
