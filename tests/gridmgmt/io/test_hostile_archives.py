"""Zipped imports (a zipped Shapefile): read when sound; zip bombs, path tricks, too many
files, encrypted or broken archives refused before anything is unpacked or written."""

from __future__ import annotations

import stat
import zipfile
from pathlib import Path

import geopandas as gpd
import pytest
from shapely.geometry import Point
from sqlalchemy import select

from gridmgmt.io.archives import unpack_archive
from gridmgmt.io.limits import MB, ImportLimits
from gridmgmt.io.problems import ImportValidationError
from gridmgmt.store import db
from gridmgmt.store.models import Retailer

from .hostile_world import refused, retailer, run_import, use_limits, write_csv


def _shapefile(folder: Path, rows: int = 3) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    frame = gpd.GeoDataFrame(
        {
            "licence_no": [f"150924{n:06d}" for n in range(1, rows + 1)],
            "name": [f"兴和县{n}号便利店" for n in range(1, rows + 1)],
            "tier": ["10"] * rows,
            "business_t": ["convenience"] * rows,
            "status": ["active"] * rows,
        },
        geometry=[Point(113.6 + n * 1e-3, 41.0) for n in range(1, rows + 1)],
        crs="EPSG:4326",
    )
    path = folder / "retailers.shp"
    frame.to_file(path, encoding="utf-8")
    return sorted(folder.iterdir())


def _zip(path: Path, members: dict[str, bytes | Path]) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            data = content.read_bytes() if isinstance(content, Path) else content
            archive.writestr(name, data)
    return path


def test_a_zipped_shapefile_is_imported(hostile_url: str, tmp_path: Path) -> None:
    parts = _shapefile(tmp_path / "shp")
    path = _zip(tmp_path / "retailers.zip", {f"data/{p.name}": p for p in parts})
    report = run_import(hostile_url, "retailers", path)
    assert (report.rows, report.inserted) == (3, 3)
    with db.transaction(hostile_url) as session:
        names = session.scalars(select(Retailer.name).order_by(Retailer.licence_no)).all()
    assert names == ["兴和县1号便利店", "兴和县2号便利店", "兴和县3号便利店"]


def test_problems_in_a_zipped_file_name_the_archive_and_the_member(
    hostile_url: str, tmp_path: Path
) -> None:
    csv = write_csv(tmp_path / "r.csv", [retailer(1, lon="east")])
    error = refused(hostile_url, "retailers", _zip(tmp_path / "r.zip", {"r.csv": csv}))
    assert error.problems[0].file.endswith("r.zip/r.csv")
    assert (error.problems[0].row, error.problems[0].field) == (2, "lon")


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("../../escaped.csv", "climbs out of the archive"),
        ("/etc/escaped.csv", "is an absolute path"),
        ("C:/Windows/escaped.csv", "starts with a drive letter"),
        ("..\\..\\escaped.csv", "climbs out of the archive"),
    ],
)
def test_path_tricks_in_member_names_are_refused_and_nothing_is_unpacked(
    hostile_url: str, tmp_path: Path, name: str, reason: str
) -> None:
    csv = write_csv(tmp_path / "r.csv", [retailer(1)])
    path = _zip(tmp_path / "tricks.zip", {"r.csv": csv, name: b"licence_no\n1\n"})
    error = refused(hostile_url, "retailers", path)
    assert any(reason in p.message and p.field == "file" for p in error.problems)
    assert not (tmp_path.parent / "escaped.csv").exists()
    assert not any(tmp_path.rglob("escaped.csv"))


def test_a_symbolic_link_in_the_archive_is_refused(hostile_url: str, tmp_path: Path) -> None:
    path = tmp_path / "link.zip"
    with zipfile.ZipFile(path, "w") as archive:
        link = zipfile.ZipInfo("r.csv")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(link, "/etc/passwd")
    error = refused(hostile_url, "retailers", path)
    assert "is a symbolic link" in error.problems[0].message


def test_a_zip_bomb_is_refused_before_it_is_unpacked(hostile_url: str, tmp_path: Path) -> None:
    path = _zip(tmp_path / "bomb.zip", {"r.csv": b"\0" * (64 * MB)})
    assert path.stat().st_size < MB // 8
    error = refused(hostile_url, "retailers", path)
    assert "zip bomb" in error.problems[0].message


def test_an_archive_over_the_unpacked_size_setting_is_refused(
    hostile_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_limits(monkeypatch, max_archive_bytes=10_000)
    csv = write_csv(tmp_path / "r.csv", [retailer(n) for n in range(1, 400)])
    error = refused(hostile_url, "retailers", _zip(tmp_path / "r.zip", {"r.csv": csv}))
    assert "GRIDMGMT_IMPORT_MAX_ARCHIVE_MB" in error.problems[0].message


def _forge_size(path: Path, size: int) -> None:
    """Make the archive's headers claim its one member unpacks to ``size`` bytes."""
    data = bytearray(path.read_bytes())
    local, central = data.find(b"PK\x03\x04"), data.find(b"PK\x01\x02")
    data[local + 22 : local + 26] = size.to_bytes(4, "little")
    data[central + 24 : central + 28] = size.to_bytes(4, "little")
    path.write_bytes(bytes(data))


def test_an_archive_lying_about_its_sizes_is_refused_and_never_unpacks_more(
    tmp_path: Path,
) -> None:
    path = _zip(tmp_path / "r.zip", {"r.csv": b"x" * 100_000})
    _forge_size(path, 10)
    with pytest.raises(ImportValidationError, match="cannot be unpacked"):
        unpack_archive(
            path, tmp_path / "out", label="r.zip", limits=ImportLimits(max_archive_bytes=60_000)
        )
    unpacked = tmp_path / "out" / "r.csv"
    assert not unpacked.exists() or unpacked.stat().st_size <= 10


def test_too_many_files_and_several_candidates_are_refused(
    hostile_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_limits(monkeypatch, max_archive_members=3)
    members = {f"f{n}.txt": b"x" for n in range(5)}
    error = refused(hostile_url, "retailers", _zip(tmp_path / "many.zip", members))
    assert "holds 5 files, more than the 3 allowed" in error.problems[0].message
    monkeypatch.undo()
    csv = write_csv(tmp_path / "r.csv", [retailer(1)])
    two = _zip(tmp_path / "two.zip", {"a.csv": csv, "b.csv": csv})
    error = refused(hostile_url, "retailers", two)
    assert "several files to import (a.csv, b.csv)" in error.problems[0].message


@pytest.mark.parametrize(
    ("content", "expected"),
    [(b"PK\x03\x04 not really", "not a readable .zip archive"), (b"", "not a readable")],
)
def test_a_broken_or_empty_archive_is_refused(
    hostile_url: str, tmp_path: Path, content: bytes, expected: str
) -> None:
    path = tmp_path / "broken.zip"
    path.write_bytes(content)
    error = refused(hostile_url, "retailers", path)
    assert expected in error.problems[0].message


def test_an_archive_with_nothing_to_import_is_refused(hostile_url: str, tmp_path: Path) -> None:
    path = _zip(tmp_path / "docs.zip", {"readme.md": b"hello", "__MACOSX/._r.csv": b"x"})
    error = refused(hostile_url, "retailers", path)
    assert "holds no file to import" in error.problems[0].message
