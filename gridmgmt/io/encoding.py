"""Text encodings of input files: UTF-8 (with or without BOM) is accepted; anything else
(typically GBK/GB18030 from Chinese Excel) is reported, or decoded when the user names it."""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

from gridmgmt.errors import InvalidInputError

_CJK = re.compile(r"[\u4e00-\u9fff]")
_GB_NAMES = frozenset({"gb2312", "gbk", "gb18030", "cp936", "hz"})
_GUESS_BYTES = 1 << 20


class EncodingProblemError(InvalidInputError):
    """The bytes are not in the expected encoding.

    Parameters
    ----------
    message
        What is wrong and how to fix it.
    line
        Line (from 1) of the first byte that does not decode, if known.
    """

    def __init__(self, message: str, *, line: int | None) -> None:
        super().__init__(message)
        self.line = line


@dataclass(frozen=True)
class DecodedText:
    """Text decoded from a file, and the encoding that was used."""

    text: str
    encoding: str


def decode_bytes(data: bytes, *, encoding: str | None = None) -> DecodedText:
    """Decode a file's bytes: UTF-8 (BOM optional) or UTF-16 with a BOM, or ``encoding``.

    Parameters
    ----------
    data
        The whole file.
    encoding
        An encoding the user says the file is in (``gbk``, ``gb18030``...); by default only
        UTF-8 is accepted, since a wrong guess would silently store garbled names.

    Returns
    -------
    DecodedText
        The text without any byte-order mark.

    Raises
    ------
    EncodingProblemError
        If the bytes do not decode; the message names the encoding they look like.
    LookupError
        If ``encoding`` is not a codec Python knows.
    """
    if encoding is not None:
        codec = codecs.lookup(encoding).name
        try:
            text = data.decode(codec)
        except UnicodeDecodeError as exc:
            line = _line_of(data, exc.start)
            msg = f"file does not decode as {encoding} ({exc.reason} on line {line})"
            raise EncodingProblemError(msg, line=line) from None
        return DecodedText(text.removeprefix("\ufeff"), codec)
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return DecodedText(data.decode("utf-16"), "utf-16")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = _line_of(data, exc.start)
        guess = guess_encoding(data)
        looks = f"it looks like {guess}" if guess else "its encoding could not be recognised"
        hint = f"--encoding {_option_name(guess)}" if guess else "--encoding NAME"
        msg = (
            f"file is not UTF-8 (first undecodable byte on line {line}); {looks}. "
            f'Save it as UTF-8 (Excel: "CSV UTF-8") or pass {hint}'
        )
        raise EncodingProblemError(msg, line=line) from None
    return DecodedText(text, "utf-8-sig" if data.startswith(codecs.BOM_UTF8) else "utf-8")


def guess_encoding(data: bytes) -> str | None:
    """Name the encoding non-UTF-8 bytes most likely are in, preferring GBK/GB18030.

    Chinese files that are not UTF-8 are nearly always GBK (or its superset GB18030), so a
    clean GB18030 decode with Chinese characters in it wins over a statistical guess.
    """
    sample = data[:_GUESS_BYTES]
    try:
        if _CJK.search(sample.decode("gb18030")):
            return "GBK/GB18030"
    except UnicodeDecodeError:
        pass
    import charset_normalizer  # only for files that are not UTF-8

    best = charset_normalizer.from_bytes(sample).best()
    if best is None:
        return None
    if best.encoding.replace("_", "").lower() in _GB_NAMES:
        return "GBK/GB18030"
    return best.encoding


def _option_name(guess: str) -> str:
    # GB18030 is a superset of GBK and GB2312: decoding with it never loses a character.
    return "gb18030" if guess == "GBK/GB18030" else guess


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1
