"""Backups of the whole database to one file, and restoring one into an empty database.

- SQLite: the online backup API (:meth:`sqlite3.Connection.backup`): a consistent copy
  while the app keeps running (WAL included); the file is itself a SQLite database.
- PostgreSQL: ``pg_dump -Fc`` (custom format) and ``pg_restore --clean --if-exists``, found
  on PATH (install the PostgreSQL client of the server's major version).

A restore only goes into an empty database (no tables besides PostGIS's own), so it never
mixes with or silently replaces data. :func:`table_digests` gives every table's row count
and a hash of its rows, to compare a restored database with its source.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import inspect
from sqlalchemy.engine import make_url

from gridmgmt.errors import ConflictError, InvalidInputError, UnavailableError
from gridmgmt.store import db

__all__ = ["BackupResult", "TableDigest", "backup", "restore", "table_digests"]

POSTGIS_TABLES = frozenset({"spatial_ref_sys"})
"""Tables PostGIS creates itself: not the app's data."""


@dataclass(frozen=True)
class TableDigest:
    """A table's row count and a SHA-256 of its rows (as text, in a fixed order)."""

    rows: int
    sha256: str


@dataclass(frozen=True)
class BackupResult:
    """A backup written or restored: the file, its size and the tables' row counts."""

    path: Path
    backend: str
    size_bytes: int
    tables: dict[str, int]


def _is_sqlite(url: str) -> bool:
    return make_url(db.normalise_url(url)).get_backend_name() == "sqlite"


def _sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        msg = f"{db.redacted_url(url)} is not a SQLite file"
        raise InvalidInputError(msg)
    return Path(database)


def _plain(value: object) -> object:
    """A stored value as JSON can hold it (bytes as hex, anything else as text)."""
    return value.hex() if isinstance(value, bytes | memoryview) else str(value)


def table_digests(url: str) -> dict[str, TableDigest]:
    """Every table of the database (PostGIS's own left out): rows and a hash of them.

    Rows are read as the driver gives them (no type conversion), each as JSON, sorted.
    """
    engine = db.get_engine(url)
    preparer = engine.dialect.identifier_preparer
    digests = {}
    with engine.connect() as connection:
        names = [n for n in inspect(connection).get_table_names() if n not in POSTGIS_TABLES]
        for name in sorted(names):
            rows = connection.exec_driver_sql(f"SELECT * FROM {preparer.quote(name)}").all()
            lines = sorted(
                json.dumps(list(row), default=_plain, ensure_ascii=False) for row in rows
            )
            digest = hashlib.sha256("\n".join(lines).encode()).hexdigest()
            digests[name] = TableDigest(len(rows), digest)
    return digests


def _counts(url: str) -> dict[str, int]:
    return {name: digest.rows for name, digest in table_digests(url).items()}


def _require_empty(url: str) -> None:
    with db.get_engine(url).connect() as connection:
        tables = [t for t in inspect(connection).get_table_names() if t not in POSTGIS_TABLES]
    if tables:
        msg = (
            f"{db.redacted_url(url)} is not empty ({len(tables)} tables); a backup is "
            "restored only into an empty database: create a new one and point --db at it"
        )
        raise ConflictError(msg)


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        msg = (
            f"{name} not found on PATH: install the PostgreSQL client tools of the server's "
            "major version (e.g. apt-get install postgresql-client-15)"
        )
        raise UnavailableError(msg, retry_after_s=3600)
    return found


def _run(command: list[str], url: str) -> None:
    """Run a PostgreSQL client tool against ``url`` (password in the environment only)."""
    parsed = make_url(db.normalise_url(url))
    env = {**os.environ}
    if parsed.password is not None:
        env["PGPASSWORD"] = str(parsed.password)
    libpq = parsed.set(drivername="postgresql", password=None)
    dsn = libpq.render_as_string(hide_password=False)
    done = subprocess.run(
        [*command, f"--dbname={dsn}"], env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        tail = done.stderr.strip().splitlines()[-3:]
        msg = f"{Path(command[0]).name} failed (exit {done.returncode}): {' / '.join(tail)}"
        raise UnavailableError(msg, retry_after_s=60)


def backup(url: str, path: Path, *, overwrite: bool = False) -> BackupResult:
    """Write a backup of the database at ``url`` to ``path`` (written whole, then renamed).

    Raises
    ------
    InvalidInputError
        ``path`` exists and ``overwrite`` is off.
    UnavailableError
        pg_dump is missing or failed.
    """
    if path.exists() and not overwrite:
        msg = f"{path} exists; choose another file or overwrite it (--force)"
        raise InvalidInputError(msg)
    partial = path.with_name(path.name + ".partial")
    partial.unlink(missing_ok=True)
    if _is_sqlite(url):
        source = sqlite3.connect(_sqlite_path(url))
        target = sqlite3.connect(partial)
        try:
            with target:
                source.backup(target)
        finally:
            target.close()
            source.close()
        backend = "sqlite"
    else:
        _run([_tool("pg_dump"), "--format=custom", "--no-owner", f"--file={partial}"], url)
        backend = "postgresql"
    partial.replace(path)
    return BackupResult(path, backend, path.stat().st_size, _counts(url))


def restore(url: str, path: Path) -> BackupResult:
    """Restore the backup ``path`` into the empty database at ``url``.

    Raises
    ------
    InvalidInputError
        ``path`` is missing or not a backup of this kind of database.
    ConflictError
        The database at ``url`` is not empty.
    UnavailableError
        pg_restore is missing or failed.
    """
    if not path.is_file():
        msg = f"file not found: {path}"
        raise InvalidInputError(msg)
    _require_empty(url)
    db.dispose_engine(url)
    if _is_sqlite(url):
        source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        target = sqlite3.connect(_sqlite_path(url))
        try:
            source.execute("SELECT count(*) FROM sqlite_master").fetchone()
            with target:
                source.backup(target)
        except sqlite3.DatabaseError as error:
            msg = f"{path} is not a SQLite backup: {error}"
            raise InvalidInputError(msg) from None
        finally:
            target.close()
            source.close()
        backend = "sqlite"
    else:
        restore_tool = _tool("pg_restore")
        _run(
            [restore_tool, "--clean", "--if-exists", "--no-owner", "--exit-on-error", str(path)],
            url,
        )
        backend = "postgresql"
    db.dispose_engine(url)
    return BackupResult(path, backend, path.stat().st_size, _counts(url))
