"""Three databases of the federation world: one per county, and one server for the area."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from gridmgmt.config import Settings

from .fed_world import KEY, dispose, make_database, tianzhen_cases, xinghe_cases


@dataclass(frozen=True)
class Servers:
    """URLs of 兴和县's server, 天镇县's server, and one server holding both."""

    xinghe: str
    tianzhen: str
    area: str


@pytest.fixture
def servers(_sqlite_template: Path, tmp_path: Path) -> Iterator[Servers]:
    """Three separate SQLite files: each county's own cases, and all of them together."""
    urls = Servers(
        xinghe=make_database(_sqlite_template, tmp_path / "xinghe.db", xinghe_cases()),
        tianzhen=make_database(_sqlite_template, tmp_path / "tianzhen.db", tianzhen_cases()),
        area=make_database(
            _sqlite_template, tmp_path / "area.db", xinghe_cases() + tianzhen_cases()
        ),
    )
    yield urls
    dispose(urls.xinghe, urls.tianzhen, urls.area)


def settings_for(url: str, key: str | None = KEY) -> Settings:
    """Settings of a server at ``url`` holding the area ``key``."""
    return Settings(database_url=url, secret_key="s" * 32, federation_key=key)
