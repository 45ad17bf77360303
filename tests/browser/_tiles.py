"""A fake XYZ tile server on loopback for browser tests of pages with a ``tile_url``.

Every ``/{z}/{x}/{y}.png`` answers the same pale tile with a darker frame, so screenshots show
where tiles are; the server counts the tiles it served.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from fastapi import FastAPI, Response

from ._web import serve

TILE_PX = 256


def _png(size: int = TILE_PX) -> bytes:
    """An RGB PNG: a pale fill with a 2-pixel darker frame (written by hand, no imaging library)."""
    fill, frame = b"\xee\xf2\xe6", b"\xb0\xbc\xa0"
    edge = frame * size
    middle = frame * 2 + fill * (size - 4) + frame * 2
    rows = [b"\x00" + (edge if y < 2 or y >= size - 2 else middle) for y in range(size)]

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"".join(rows)))
        + chunk(b"IEND", b"")
    )


@dataclass
class TileServer:
    """The running server: its URL template and the tiles asked for, as ``(z, x, y)``."""

    url: str
    served: list[tuple[int, int, int]] = field(default_factory=list)


@contextmanager
def tile_server() -> Iterator[TileServer]:
    """Serve fake tiles on a free loopback port; yield the server (``url`` is the template)."""
    app = FastAPI()
    tile = _png()
    server = TileServer(url="")

    @app.get("/{z}/{x}/{y}.png")
    def one_tile(z: int, x: int, y: int) -> Response:
        server.served.append((z, x, y))
        return Response(tile, media_type="image/png", headers={"Cache-Control": "max-age=60"})

    with serve(app) as base:
        server.url = base + "/{z}/{x}/{y}.png"
        yield server
