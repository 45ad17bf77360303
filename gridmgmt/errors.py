"""The one error family users meet: what services (and engines, for bad input) raise.

Every error a person can act on is a :class:`GridmgmtError` of one of five kinds. Each face
maps a kind to one answer in one place (the API's exception handlers in ``api/errors.py``,
the CLI's wrapper in ``gridmgmt/cli/_app.py``):

=====================  ===========  =========  ==============================================
kind                   HTTP status  CLI exit   when
=====================  ===========  =========  ==============================================
InvalidInputError      422          2          the request or a file is wrong; ``problems``
NotFoundError          404          3          no such thing in the caller's scope
AccessDeniedError      403          4          the caller's role may not do this
ConflictError          409          5          someone else changed it first; try again
UnavailableError       503          6          a resource is busy or down; retry later
(anything else)        500          1          a bug: logged with a request id, never "bad input"
=====================  ===========  =========  ==============================================

Specific errors subclass a kind (``ImportValidationError(InvalidInputError)``) and also the
builtin a caller of a plain library would expect (``ValueError``, ``LookupError``,
``PermissionError``), so engines stay usable on their own. Faces catch the family, never a
bare builtin: a ``ValueError`` from pandas is a bug, not the user's fault.

This module imports nothing heavy: engines, services and faces all use it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar


class GridmgmtError(Exception):
    """Base of every error a user can act on.

    Parameters
    ----------
    message
        One sentence for a person: what is wrong and, where it helps, what to do.
    """

    kind: ClassVar[str] = "error"
    http_status: ClassVar[int] = 400
    exit_code: ClassVar[int] = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def details(self) -> dict[str, Any]:
        """Machine-readable extras for the API's error body (empty by default)."""
        return {}


class InvalidInputError(GridmgmtError, ValueError):
    """The request, an option or a file is wrong.

    Parameters
    ----------
    message
        The summary.
    problems
        Each problem found, as a mapping (``file``, ``row``, ``field``, ``message`` where
        they apply) or a plain sentence.
    """

    kind = "invalid_input"
    http_status = 422
    exit_code = 2

    def __init__(
        self, message: str, problems: Sequence[Mapping[str, Any] | str] | None = None
    ) -> None:
        super().__init__(message)
        self.problems: list[Mapping[str, Any]] = [
            p if isinstance(p, Mapping) else {"message": p} for p in (problems or [])
        ]

    def details(self) -> dict[str, Any]:
        return {"problems": self.problems} if self.problems else {}


class NotFoundError(GridmgmtError, LookupError):
    """No such thing in the caller's scope (another county's rows are "not found" too).

    Parameters
    ----------
    what
        The kind of thing, in the user's words (``"case"``, ``"grid"``, ``"depot"``).
    key
        Its identifier as the user gave it.
    message
        Overrides the default sentence.
    """

    kind = "not_found"
    http_status = 404
    exit_code = 3

    def __init__(self, what: str, key: object = None, *, message: str | None = None) -> None:
        if message is None:
            message = f"no {what} {key!s}" if key is not None else f"no such {what}"
        super().__init__(message)
        self.what = what
        self.key = key

    def details(self) -> dict[str, Any]:
        return {"what": self.what, "key": None if self.key is None else str(self.key)}


class AccessDeniedError(GridmgmtError, PermissionError):
    """The caller's role (or scope) does not allow this action."""

    kind = "access_denied"
    http_status = 403
    exit_code = 4


class ConflictError(GridmgmtError):
    """The thing changed or exists already: someone else was first. Reload and try again.

    Parameters
    ----------
    message
        What conflicted.
    current
        The current state, where the caller may see it (returned in the API's body).
    """

    kind = "conflict"
    http_status = 409
    exit_code = 5

    def __init__(self, message: str, *, current: Any = None) -> None:
        super().__init__(message)
        self.current = current

    def details(self) -> dict[str, Any]:
        return {"current": self.current} if self.current is not None else {}


class UnavailableError(GridmgmtError):
    """A resource is busy or down (a locked database, a lost connection): retry later.

    Parameters
    ----------
    message
        What is unavailable.
    retry_after_s
        A hint, in seconds, for when to retry.
    """

    kind = "unavailable"
    http_status = 503
    exit_code = 6

    def __init__(self, message: str, *, retry_after_s: int = 5) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s

    def details(self) -> dict[str, Any]:
        return {"retry_after_s": self.retry_after_s}


EXIT_UNEXPECTED = 1
"""CLI exit code of an unexpected error (a bug): a short message, details in the log."""

KINDS: tuple[type[GridmgmtError], ...] = (
    InvalidInputError,
    NotFoundError,
    AccessDeniedError,
    ConflictError,
    UnavailableError,
)
"""The kinds users meet, in the order of the table above."""
