"""Hostile files through the upload page (/admin/import): refused with the first problems
and a count of the rest, encodings named, zip bombs refused, nothing stored."""

from __future__ import annotations

import io
import secrets
import zipfile
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from api.main import create_app
from gridmgmt.domain import UserRole
from gridmgmt.store import db
from gridmgmt.store.models import Retailer

from .conftest import TIANZHEN, XINGHE, add_test_user, make_settings

ORIGIN = {"Origin": "http://testserver"}
HEADER = "licence_no,name,address,county_code,lon,lat,tier,business_type,status"


def _count(url: str) -> int:
    with db.transaction(url) as session:
        return int(session.scalar(select(func.count()).select_from(Retailer)) or 0)


@pytest.fixture
def admin(api_url: str) -> Iterator[TestClient]:
    password = secrets.token_urlsafe(12)
    add_test_user(api_url, "root", password, UserRole.ADMIN, [XINGHE, TIANZHEN])
    with TestClient(create_app(make_settings(api_url))) as client:
        answer = client.post(
            "/login",
            data={"username": "root", "password": password, "next": "/map"},
            headers=ORIGIN,
            follow_redirects=False,
        )
        assert answer.status_code == 303
        yield client


def _upload(client: TestClient, name: str, data: bytes, **form: str) -> object:
    return client.post(
        "/admin/import",
        data={"kind": "retailers", "crs": "wgs84", "encoding": "", **form},
        files={"file": (name, io.BytesIO(data), "application/octet-stream")},
        headers=ORIGIN,
    )


def test_garbage_shows_the_first_100_problems_and_the_total(
    admin: TestClient, api_url: str
) -> None:
    before = _count(api_url)
    rows = "".join(f"x{n},<script>x</script>,zz,99,abc,NaN,foo,bar,baz\n" for n in range(2_000))
    answer = _upload(admin, "garbage.csv", (HEADER + "\n" + rows).encode())
    assert answer.status_code == 422  # type: ignore[attr-defined]
    text = answer.text  # type: ignore[attr-defined]
    assert text.count('<td data-label="行">') == 100
    assert "下面列出前 100 处" in text
    assert "<script>x</script>" not in text
    assert _count(api_url) == before


def test_a_gbk_file_is_named_then_read_when_chosen(admin: TestClient, api_url: str) -> None:
    line = "150924009001,兴和县城关镇九号烟酒店,人民路9号,150924,113.8,40.95,5,convenience,active"
    data = (HEADER + "\n" + line + "\n").encode("gbk")
    refused = _upload(admin, "gbk.csv", data)
    assert refused.status_code == 422  # type: ignore[attr-defined]
    assert "GBK/GB18030" in refused.text  # type: ignore[attr-defined]
    done = _upload(admin, "gbk.csv", data, encoding="gb18030")
    assert done.status_code == 200, done.text  # type: ignore[attr-defined]
    with db.transaction(api_url) as session:
        name = session.scalar(select(Retailer.name).where(Retailer.licence_no == "150924009001"))
    assert name == "兴和县城关镇九号烟酒店"


def test_a_zip_bomb_and_path_tricks_are_refused(admin: TestClient, api_url: str) -> None:
    before = _count(api_url)
    for members in ({"r.csv": b"\0" * (16 * 1024 * 1024)}, {"../../r.csv": b"x"}):
        packed = io.BytesIO()
        with zipfile.ZipFile(packed, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for name, content in members.items():
                archive.writestr(name, content)
        answer = _upload(admin, "r.zip", packed.getvalue())
        assert answer.status_code == 422  # type: ignore[attr-defined]
    assert _count(api_url) == before
