"""Unpacking ``.zip`` imports (压缩包, typically a zipped Shapefile) without trusting them.

An archive is refused whole, before anything is unpacked, when it holds too many files,
names that would land outside the folder it is unpacked to (``../``, absolute paths, drive
letters, symbolic links), encrypted files, or declares more bytes (or a tighter packing)
than :class:`~gridmgmt.io.limits.ImportLimits` allows. While unpacking, the bytes actually
written are counted too, so an archive lying about its sizes is stopped at the limit.
"""

from __future__ import annotations

import stat
import zipfile
from collections.abc import Sequence
from pathlib import Path, PurePosixPath
from typing import NoReturn

from gridmgmt.io.limits import RATIO_CHECK_MIN_BYTES, ImportLimits, megabytes
from gridmgmt.io.problems import ImportValidationError, Problem

_COPY_CHUNK = 1 << 20
_IGNORED_PREFIXES = ("__MACOSX/",)


def _refuse(label: str, messages: Sequence[str]) -> NoReturn:
    raise ImportValidationError([Problem(label, None, "file", message) for message in messages])


def unsafe_name_reason(info: zipfile.ZipInfo) -> str | None:
    """Why an archive member's name or kind is unsafe to unpack, or ``None``."""
    name = info.filename
    if "\x00" in name:
        return "has a NUL byte in its name"
    posix = name.replace("\\", "/")
    if posix.startswith("/"):
        return "is an absolute path"
    parts = PurePosixPath(posix).parts
    if parts and len(parts[0]) >= 2 and parts[0][1] == ":":
        return "starts with a drive letter"
    if ".." in parts:
        return "climbs out of the archive with '..'"
    if stat.S_ISLNK(info.external_attr >> 16):
        return "is a symbolic link"
    if info.flag_bits & 0x1:
        return "is encrypted"
    return None


def _check_members(
    members: list[zipfile.ZipInfo], label: str, limits: ImportLimits
) -> list[zipfile.ZipInfo]:
    """The members to unpack, or every reason to refuse the archive."""
    files = [m for m in members if not m.is_dir() and not m.filename.startswith(_IGNORED_PREFIXES)]
    problems = [
        f"archive member {m.filename!r} {reason}; refused"
        for m in members
        if (reason := unsafe_name_reason(m)) is not None
    ]
    if len(files) > limits.max_archive_members:
        problems.append(
            f"the archive holds {len(files):,} files, more than the "
            f"{limits.max_archive_members:,} allowed (setting GRIDMGMT_IMPORT_MAX_ARCHIVE_MEMBERS)"
        )
    declared = sum(m.file_size for m in files)
    if declared > limits.max_archive_bytes:
        problems.append(
            f"the archive unpacks to {megabytes(declared)}, more than the "
            f"{megabytes(limits.max_archive_bytes)} allowed "
            "(setting GRIDMGMT_IMPORT_MAX_ARCHIVE_MB)"
        )
    for m in files:
        ratio = m.file_size / max(m.compress_size, 1)
        if m.file_size > RATIO_CHECK_MIN_BYTES and ratio > limits.max_compression_ratio:
            problems.append(
                f"archive member {m.filename!r} unpacks {ratio:,.0f} times larger than it is "
                "packed: a zip bomb, not data; refused"
            )
    if problems:
        _refuse(label, problems)
    return files


def unpack_archive(path: Path, folder: Path, *, label: str, limits: ImportLimits) -> list[Path]:
    """Unpack the ``.zip`` at ``path`` into ``folder`` after checking every member.

    Parameters
    ----------
    path
        The archive.
    folder
        An empty folder to unpack into.
    label
        How to name the archive in problems.
    limits
        Most members, most unpacked bytes and the tightest packing accepted.

    Returns
    -------
    list of Path
        The files unpacked (inside ``folder``).

    Raises
    ------
    ImportValidationError
        If the archive is not a zip file, or any member is unsafe or too large.
    """
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        _refuse(label, [f"not a readable .zip archive: {exc}"])
    with archive:
        files = _check_members(archive.infolist(), label, limits)
        written = 0
        unpacked = []
        root = folder.resolve()
        for member in files:
            target = (root / member.filename.replace("\\", "/")).resolve()
            if not target.is_relative_to(root):  # belt and braces after unsafe_name_reason
                _refuse(label, [f"archive member {member.filename!r} escapes the archive"])
            target.parent.mkdir(parents=True, exist_ok=True)
            written = _copy_member(archive, member, target, written, label, limits)
            unpacked.append(target)
    return unpacked


def _copy_member(
    archive: zipfile.ZipFile,
    member: zipfile.ZipInfo,
    target: Path,
    written: int,
    label: str,
    limits: ImportLimits,
) -> int:
    """Copy one member, counting the bytes really unpacked against the limit."""
    try:
        with archive.open(member) as source, target.open("wb") as out:
            while chunk := source.read(_COPY_CHUNK):
                written += len(chunk)
                if written > limits.max_archive_bytes:
                    _refuse(
                        label,
                        [
                            f"the archive unpacks to more than "
                            f"{megabytes(limits.max_archive_bytes)}; refused"
                        ],
                    )
                out.write(chunk)
    except (zipfile.BadZipFile, RuntimeError, ValueError, EOFError) as exc:
        _refuse(label, [f"archive member {member.filename!r} cannot be unpacked: {exc}"])
    return written


def choose_member(
    files: list[Path], *, label: str, preferred: str | None, readable: Sequence[str]
) -> Path:
    """The one data file of an unpacked archive (a Shapefile's ``.shp``, a CSV...).

    Raises
    ------
    ImportValidationError
        If the archive has no readable file, or several and none named like ``preferred``.
    """
    candidates = [f for f in files if f.suffix.lower() in readable and not f.name.startswith(".")]
    shapefiles = [f for f in candidates if f.suffix.lower() == ".shp"]
    if shapefiles:  # a Shapefile's .dbf and .cpg are its parts, not files of their own
        candidates = shapefiles
    if len(candidates) == 1:
        return candidates[0]
    if not candidates:
        _refuse(label, [f"the archive holds no file to import (one of {', '.join(readable)})"])
    named = [f for f in candidates if f.stem.lower() == (preferred or "").lower()]
    if len(named) == 1:
        return named[0]
    names = ", ".join(sorted(f.name for f in candidates))
    _refuse(label, [f"the archive holds several files to import ({names}); zip one of them"])
