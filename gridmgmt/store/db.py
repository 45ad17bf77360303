"""Engines, sessions and schema migrations.

Alembic (about a second to import) is loaded only when a database actually needs
migrating: whether it does is decided by comparing the revisions stored in the database's
``alembic_version`` table with the heads read from the migration files' headers.
"""

from __future__ import annotations

import ast
import functools
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.orm import Session, sessionmaker

from gridmgmt.errors import UnavailableError

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
VERSION_TABLE = "alembic_version"


def normalise_url(url: str) -> str:
    """Map ``postgresql://`` and ``postgres://`` to the psycopg 3 driver."""
    parsed = make_url(url)
    if parsed.drivername in {"postgresql", "postgres"}:
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


DEFAULT_BUSY_TIMEOUT_MS = 10_000
"""How long a SQLite write waits for another writer's lock before giving up."""


def _sqlite_pragmas(busy_timeout_ms: int) -> Any:
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.close()

    return on_connect


REQUEST_THREADS = 40
"""Requests an app worker runs at once (anyio's thread pool, where FastAPI runs sync code)."""

SQLITE_POOL = {"pool_size": 20, "max_overflow": 2 * REQUEST_THREADS}
"""SQLite connections are cheap: more than every request thread of a worker can hold (some
hold two), so a reader never waits for a connection held by writers queueing for the lock."""

POSTGRES_POOL = {"pool_size": 5, "max_overflow": REQUEST_THREADS - 5}
"""Five kept open; at peak one per request thread, so a burst of requests waits on the
database, not on the pool (a worker may open 40 connections: size max_connections for it)."""

_ENGINES: dict[tuple[str, int], Engine] = {}


def get_engine(url: str, *, busy_timeout_ms: int = DEFAULT_BUSY_TIMEOUT_MS) -> Engine:
    """Return the process's engine for ``url``; SQLite gets foreign keys, WAL and a busy
    timeout (``busy_timeout_ms``: how long a write waits for another writer's lock)."""
    url = normalise_url(url)
    key = (url, busy_timeout_ms if url.startswith("sqlite") else DEFAULT_BUSY_TIMEOUT_MS)
    engine = _ENGINES.get(key)
    if engine is None:
        if url.startswith("sqlite"):
            pool = {} if _in_memory(url) else SQLITE_POOL  # one shared connection in memory
            engine = create_engine(url, connect_args={"check_same_thread": False}, **pool)
            event.listen(engine, "connect", _sqlite_pragmas(key[1]))
        else:
            import geoalchemy2  # noqa: F401  (PostGIS types and functions, before any query)

            engine = create_engine(url, pool_pre_ping=True, **POSTGRES_POOL)
        _ENGINES[key] = engine
    return engine


def _in_memory(url: str) -> bool:
    """Whether a SQLite ``url`` names an in-memory database (which has no connection pool)."""
    database = make_url(url).database or ""
    return database in ("", ":memory:") or "mode=memory" in url


def dispose_engine(url: str) -> None:
    """Close the pooled connections to ``url`` and forget its engine."""
    url = normalise_url(url)
    for key in [key for key in _ENGINES if key[0] == url]:
        _ENGINES.pop(key).dispose()


def redacted_url(url: str) -> str:
    """``url`` as it may be shown: the driver made explicit, the password hidden."""
    return make_url(normalise_url(url)).render_as_string(hide_password=True)


def alembic_config(url: str) -> Config:
    """An Alembic configuration pointing at the packaged migrations and ``url``."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", normalise_url(url).replace("%", "%%"))
    return config


def current_revision(engine: Engine) -> str | None:
    """The schema revision(s) the database is at, comma-separated; None for an empty database.

    Each engine's tables come in their own migration branch, so there may be several heads.
    """
    with engine.connect() as connection:
        if not inspect(connection).has_table(VERSION_TABLE):
            return None
        heads = connection.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars()
        return ",".join(sorted(str(head) for head in heads)) or None


_HEADER = re.compile(r"^(revision|down_revision)\s*(?::[^=]*)?=\s*(.+?)\s*$", re.MULTILINE)


def _header_values(path: Path) -> dict[str, Any]:
    """The ``revision`` and ``down_revision`` a migration file assigns at module level.

    The one-line assignments are read with a regular expression (parsing whole migration
    files would cost more than the query it saves); anything else is parsed properly.
    """
    source = path.read_text(encoding="utf-8")
    try:
        return {name: ast.literal_eval(value) for name, value in _HEADER.findall(source)}
    except (ValueError, SyntaxError):  # a header spread over several lines
        values: dict[str, Any] = {}
        for node in ast.parse(source, filename=str(path)).body:
            if isinstance(node, ast.AnnAssign | ast.Assign) and node.value is not None:
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for target in targets:
                    if isinstance(target, ast.Name) and target.id in _HEADER_NAMES:
                        values[target.id] = ast.literal_eval(node.value)
        return values


_HEADER_NAMES = frozenset({"revision", "down_revision"})


@functools.cache
def head_revision() -> str | None:
    """The newest schema revision(s) this code knows, comma-separated.

    Read from the ``revision`` and ``down_revision`` headers of the migration files, as
    Alembic reads them, without importing Alembic: a head is a revision no other revises.
    """
    revisions: set[str] = set()
    revised: set[str] = set()
    for path in sorted((MIGRATIONS_DIR / "versions").glob("*.py")):
        header = _header_values(path)
        revision = header.get("revision")
        if revision is None:
            continue
        revisions.add(str(revision))
        down = header.get("down_revision")
        revised.update([down] if isinstance(down, str) else list(down or ()))
    return ",".join(sorted(revisions - revised)) or None


def upgrade(url: str) -> None:
    """Bring the database at ``url`` to the newest schema (creates it if empty).

    A database already at the heads costs one query; only one that needs migrating loads
    Alembic.
    """
    engine = get_engine(url)
    if current_revision(engine) == head_revision():
        return
    from alembic import command

    config = alembic_config(url)
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # A batch migration rebuilds a table (copy, drop, rename): with foreign keys on,
            # dropping the old table would delete the rows that refer to it (ON DELETE
            # CASCADE), e.g. every user's counties. The pragma only changes outside a
            # transaction; the keys are checked once the migration is done.
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.commit()
        try:
            with connection.begin():
                config.attributes["connection"] = connection
                command.upgrade(config, "heads")
                if sqlite:
                    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").first()
                    if broken is not None:
                        msg = f"the migration left a row breaking a foreign key: {tuple(broken)}"
                        raise RuntimeError(msg)
        finally:
            if sqlite:
                connection.exec_driver_sql("PRAGMA foreign_keys=ON")
                connection.commit()


def session_factory(
    url: str, *, busy_timeout_ms: int = DEFAULT_BUSY_TIMEOUT_MS
) -> sessionmaker[Session]:
    """A session factory bound to the engine for ``url``."""
    return sessionmaker(get_engine(url, busy_timeout_ms=busy_timeout_ms), expire_on_commit=False)


def unavailable_error(error: BaseException) -> UnavailableError | None:
    """The :class:`UnavailableError` a database error means, or None if it is not one.

    A SQLite write that waited the busy timeout for another writer ("database is locked"),
    a lost PostgreSQL connection and a pool with no free connection within its timeout are
    not the caller's fault nor a bug: retry later.
    """
    if isinstance(error, PoolTimeoutError):
        message = "every database connection is in use; try again in a few seconds"
        return UnavailableError(message, retry_after_s=5)
    if isinstance(error, DBAPIError) and error.connection_invalidated:
        message = "the connection to the database was lost; try again"
        return UnavailableError(message, retry_after_s=2)
    if isinstance(error, InterfaceError):
        message = "the database connection is unusable; try again"
        return UnavailableError(message, retry_after_s=2)
    if isinstance(error, OperationalError) and "database is locked" in str(error.orig):
        message = "the database is busy with another write; try again in a few seconds"
        return UnavailableError(message, retry_after_s=5)
    return None


@contextmanager
def unavailable_as_error() -> Iterator[None]:
    """Re-raise a busy or lost database (see :func:`unavailable_error`) as UnavailableError.

    Wrapped around every unit of work (:func:`transaction`, the API's session), so the
    mapping lives here once.
    """
    try:
        yield
    except (DBAPIError, PoolTimeoutError) as error:
        mapped = unavailable_error(error)
        if mapped is None:
            raise
        raise mapped from error


@contextmanager
def transaction(url: str, *, busy_timeout_ms: int = DEFAULT_BUSY_TIMEOUT_MS) -> Iterator[Session]:
    """One unit of work: commit on success, roll back everything on any error.

    A busy or lost database raises :class:`~gridmgmt.errors.UnavailableError`.
    """
    factory = session_factory(url, busy_timeout_ms=busy_timeout_ms)
    with unavailable_as_error(), factory.begin() as session:
        yield session
