"""How much an import reads before it refuses a file: the one place these limits live.

Hostile or broken files (a 50 MB header line, a million-vertex county, a zip bomb, 200,000
rows of garbage) are refused early and clearly, and nothing is written. Every number comes
from the settings (``GRIDMGMT_IMPORT_MAX_*``, see :class:`gridmgmt.config.Settings`), read
once per import by :func:`import_limits`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gridmgmt.config import Settings

MB = 1024 * 1024
RATIO_CHECK_MIN_BYTES = MB
"""Archive members smaller than this are not checked for their compression ratio."""


@dataclass(frozen=True)
class ImportLimits:
    """The limits of one import (导入限制).

    Parameters
    ----------
    max_file_bytes
        Largest file read at all.
    max_upload_bytes
        Largest file the upload page accepts.
    max_header_bytes
        Longest header line of a CSV file.
    max_columns
        Most columns of a file.
    max_problems
        Problems listed when a file is refused; the rest are counted.
    max_vertices
        Most vertices of one polygon.
    max_archive_bytes
        Largest total size unpacked from a ``.zip``.
    max_archive_members
        Most files in a ``.zip``.
    max_compression_ratio
        Largest unpacked/packed ratio of a ``.zip`` member over 1 MB.
    """

    max_file_bytes: int = 1024 * MB
    max_upload_bytes: int = 50 * MB
    max_header_bytes: int = 64 * 1024
    max_columns: int = 500
    max_problems: int = 100
    max_vertices: int = 200_000
    max_archive_bytes: int = 2048 * MB
    max_archive_members: int = 64
    max_compression_ratio: float = 500.0

    @classmethod
    def from_settings(cls, settings: Settings) -> ImportLimits:
        """The limits the ``settings`` set."""
        return cls(
            max_file_bytes=int(settings.import_max_file_mb * MB),
            max_upload_bytes=int(settings.max_upload_mb * MB),
            max_header_bytes=settings.import_max_header_bytes,
            max_columns=settings.import_max_columns,
            max_problems=settings.import_max_problems,
            max_vertices=settings.import_max_vertices,
            max_archive_bytes=int(settings.import_max_archive_mb * MB),
            max_archive_members=settings.import_max_archive_members,
            max_compression_ratio=settings.import_max_compression_ratio,
        )


def import_limits() -> ImportLimits:
    """The limits of this process's settings (the environment's ``GRIDMGMT_IMPORT_*``)."""
    from gridmgmt.config import get_settings

    return ImportLimits.from_settings(get_settings())


def megabytes(size: int) -> str:
    """``size`` bytes as a short figure for messages (``"1.5 MB"``)."""
    return f"{size / MB:.3g} MB"


def file_too_large(path: Path, limits: ImportLimits) -> str | None:
    """Why ``path`` is too large to import, or ``None`` if it is not."""
    size = path.stat().st_size
    if size <= limits.max_file_bytes:
        return None
    return (
        f"the file is {megabytes(size)}, larger than the {megabytes(limits.max_file_bytes)} "
        "an import reads (setting GRIDMGMT_IMPORT_MAX_FILE_MB); split it"
    )
