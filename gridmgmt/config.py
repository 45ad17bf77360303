"""Settings, read from the environment (prefix ``GRIDMGMT_``) or a ``.env`` file.

Importing this module is free: :class:`Settings` (pydantic-settings, a tenth of a second to
import) is loaded on first use, so ``gridmgmt --help`` and commands that never read settings
do not pay for it.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from gridmgmt._settings import Settings

__all__ = ["DEFAULT_DATABASE_URL", "REPO_ROOT", "Settings", "get_settings"]

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "sqlite:///gridmgmt.db"


def __getattr__(name: str) -> Any:
    if name == "Settings":
        from gridmgmt._settings import Settings

        return Settings
    msg = f"module {__name__!r} has no attribute {name!r}"
    raise AttributeError(msg)


@lru_cache
def get_settings() -> Settings:
    """Return the process-wide settings (read once)."""
    from gridmgmt._settings import Settings

    return Settings()
