"""An ASGI app that answers while the real one loads (``gridmgmt serve --demo``).

Importing the application (FastAPI, geopandas, the engines) takes seconds, more on a busy
machine. The server starts with :class:`Launcher`, which imports nothing heavy: until the
real app is handed over (:meth:`Launcher.load`, from a thread), every request gets 503 with
``Retry-After``, a short page in both languages or the API's error body. Then every request
goes to the real app, whose own gate (:mod:`api.demo_gate`) speaks the user's language.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any, Final

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

RETRY_AFTER_S: Final = 3
# Shown only for the seconds the app takes to load, before the translated pages exist;
# both languages at once (zh_CN first, the default).
STARTING_PAGE: Final = """<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="refresh" content="{retry}">
<title>正在启动 · Starting · gridmgmt</title></head>
<body><main><h1>正在启动，请稍候</h1><p lang="en">Starting, please wait.</p></main></body>
</html>
"""


class Launcher:
    """503 until :meth:`load` hands over the real app; then the real app, and its lifespan."""

    def __init__(self) -> None:
        self._app: ASGIApp | None = None

    def load(self, app: ASGIApp) -> None:
        """Serve ``app`` from now on."""
        self._app = app

    @property
    def loaded(self) -> bool:
        return self._app is not None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        app = self._app
        if app is not None:
            await app(scope, receive, send)
        elif scope["type"] == "lifespan":
            await _lifespan(receive, send)
        elif scope["type"] == "http":
            await _starting(scope, send)
        # websockets: none in this app; a closed connection is the answer


async def _lifespan(receive: Receive, send: Send) -> None:
    """Start and stop at once (the real app's lifespan has nothing to run at start)."""
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


async def _starting(scope: Scope, send: Send) -> None:
    path = str(scope.get("path", ""))
    if path.startswith("/api/") or path == "/openapi.json":
        body = json.dumps(
            {
                "detail": "the server is starting; retry shortly",
                "kind": "unavailable",
                "retry_after_s": RETRY_AFTER_S,
            }
        ).encode()
        content_type = b"application/json"
    else:
        body = STARTING_PAGE.format(retry=RETRY_AFTER_S).encode()
        content_type = b"text/html; charset=utf-8"
    headers = [
        (b"content-type", content_type),
        (b"content-length", str(len(body)).encode()),
        (b"retry-after", str(RETRY_AFTER_S).encode()),
        (b"cache-control", b"no-store"),
        (b"x-content-type-options", b"nosniff"),
        (b"content-security-policy", b"default-src 'none'; frame-ancestors 'none'"),
    ]
    await send({"type": "http.response.start", "status": 503, "headers": headers})
    await send({"type": "http.response.body", "body": body})
