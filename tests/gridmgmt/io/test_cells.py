"""Spreadsheet cells that show text and never run it (formula injection)."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from gridmgmt.io.cells import inert_frame, inert_text, keep_text_as_text


@pytest.mark.parametrize(
    "attack",
    [
        '=HYPERLINK("http://evil.example","点此")',
        "+cmd|' /C calc'!A0",
        "-2+3+cmd|' /C calc'!A0",
        "@SUM(1+1)*cmd|' /C calc'!A0",
        "\t=1+1",
        "\r=1+1",
    ],
)
def test_formulas_get_an_apostrophe(attack: str) -> None:
    assert inert_text(attack) == "'" + attack


@pytest.mark.parametrize(
    "plain", ["+86 139-4746-1234", "-12", "0474-7210002", "兴和县=店", "", "金记烟酒店"]
)
def test_text_that_cannot_run_is_kept(plain: str) -> None:
    assert inert_text(plain) == plain


def test_non_text_is_kept() -> None:
    assert inert_text(-3) == -3
    assert inert_text(None) is None


def test_frame_cells_and_headers() -> None:
    frame = pd.DataFrame({"=x": ["=1+1", "ok"], "n": [-1, 2]})
    out = inert_frame(frame)
    assert list(out.columns) == ["'=x", "n"]
    assert out["'=x"].tolist() == ["'=1+1", "ok"]
    assert out["n"].tolist() == [-1, 2]
    assert frame["=x"].tolist() == ["=1+1", "ok"]  # the input is left alone


def test_excel_keeps_the_text_verbatim_as_a_string(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    book.active.append(['=HYPERLINK("http://evil.example","x")', "+1", 5])
    keep_text_as_text(book.active)
    book.save(tmp_path / "a.xlsx")
    cell = openpyxl.load_workbook(tmp_path / "a.xlsx").active["A1"]
    assert cell.data_type == "s"
    assert cell.value == '=HYPERLINK("http://evil.example","x")'
