"""Files must be UTF-8; GBK is recognised and named, or decoded when the user says so."""

from __future__ import annotations

import codecs

import pytest

from gridmgmt.io.encoding import EncodingProblemError, decode_bytes, guess_encoding

TEXT = "许可证号,名称,地址\n150924000001,兴和县城关镇张记便利店,城关镇人民路12号\n"


def test_utf8_with_and_without_bom_read_the_same() -> None:
    plain = decode_bytes(TEXT.encode("utf-8"))
    with_bom = decode_bytes(codecs.BOM_UTF8 + TEXT.encode("utf-8"))
    assert plain.text == with_bom.text == TEXT
    assert (plain.encoding, with_bom.encoding) == ("utf-8", "utf-8-sig")


def test_utf16_with_bom_is_read() -> None:
    assert decode_bytes(TEXT.encode("utf-16")).text == TEXT


def test_gbk_is_reported_with_its_name_line_and_the_fix() -> None:
    with pytest.raises(EncodingProblemError) as info:
        decode_bytes(TEXT.encode("gbk"))
    message = str(info.value)
    assert "GBK" in message
    assert "not UTF-8" in message
    assert "--encoding gb18030" in message
    assert info.value.line == 1


def test_bad_byte_line_is_the_first_line_with_one() -> None:
    data = b"licence_no,name\n1,shop\n" + "2,张记\n".encode("gbk")
    with pytest.raises(EncodingProblemError) as info:
        decode_bytes(data)
    assert info.value.line == 3


def test_named_encoding_decodes_gbk() -> None:
    decoded = decode_bytes(TEXT.encode("gbk"), encoding="gbk")
    assert decoded.text == TEXT
    assert decoded.encoding == "gbk"


def test_named_encoding_that_does_not_fit_is_reported() -> None:
    with pytest.raises(EncodingProblemError, match="does not decode as ascii"):
        decode_bytes(TEXT.encode("utf-8"), encoding="ascii")


def test_guess_prefers_gb18030_for_chinese_text() -> None:
    assert guess_encoding("兴和县城关镇张记便利店".encode("gb18030")) == "GBK/GB18030"
