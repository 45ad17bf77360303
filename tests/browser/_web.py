"""Helpers for browser tests of the served app: a live server, a strict page, screenshots."""

from __future__ import annotations

import os
import re
import socket
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from fastapi import FastAPI

LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}
DESKTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}
VIEWPORTS = {"desktop": DESKTOP, "phone": PHONE}
SCREENSHOTS_VAR = "GRIDMGMT_SCREENSHOTS"


def free_port() -> int:
    """A TCP port free on loopback right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serve(app: FastAPI) -> Iterator[str]:
    """Run ``app`` on uvicorn in a thread on a free loopback port; yield its base URL."""
    import uvicorn

    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "uvicorn did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@dataclass
class StrictPage:
    """A page that records every console error, script error, failed or refused request.

    Requests to hosts other than loopback (and files) are blocked (and recorded); a dialog
    (``alert``) is recorded and dismissed. Call :meth:`check`
    (the ``strict_page`` fixture does so at the end of the test) to fail on any of them;
    :meth:`expect_status` lets a test name an error answer it provokes on purpose.
    """

    page: Any
    problems: list[str] = field(default_factory=list)
    expected: set[tuple[int, str]] = field(default_factory=set)

    def expect_status(self, status: int, path: str) -> None:
        """Accept one error answer (and its console line) the test asks for."""
        self.expected.add((status, path))

    def _on_response(self, response: Any) -> None:
        if response.status < 400:
            return
        if (response.status, urlparse(response.url).path) in self.expected:
            return
        self.problems.append(f"HTTP {response.status} {response.url}")

    def _on_console(self, message: Any) -> None:
        if message.type != "error":
            return
        status = re.search(r"status of (\d{3})", message.text)
        location = message.location.get("url", "") if message.location else ""
        if status and (int(status.group(1)), urlparse(location).path) in self.expected:
            return
        self.problems.append(f"console error: {message.text} ({location})")

    def _on_failed(self, request: Any) -> None:
        # A load cut short by leaving the page (ERR_ABORTED) is not the page's fault; a
        # blocked request aborts too, and was recorded when it was blocked.
        if "ERR_ABORTED" in str(request.failure):
            return
        self.problems.append(f"request failed: {request.url} ({request.failure})")

    def attach(self) -> StrictPage:
        """Start recording (and block non-loopback requests)."""

        def only_local(route: Any) -> None:
            parsed = urlparse(route.request.url)
            if parsed.scheme in {"data", "blob", "file"} or parsed.hostname in LOOPBACK:
                route.continue_()
            else:
                self.problems.append(f"blocked non-loopback request: {route.request.url}")
                route.abort()

        self.page.route("**/*", only_local)
        self.page.on("console", self._on_console)
        self.page.on("pageerror", lambda error: self.problems.append(f"page error: {error}"))
        self.page.on("requestfailed", self._on_failed)
        self.page.on("response", self._on_response)
        self.page.on("dialog", self._on_dialog)
        return self

    def _on_dialog(self, dialog: Any) -> None:
        # No page of the app opens a dialog by itself: one is a script that should not run
        # (an ``onerror=alert(1)`` in a name pasted as HTML).
        self.problems.append(f"dialog opened: {dialog.type} {dialog.message!r}")
        dialog.dismiss()

    def check(self) -> None:
        """Fail with every problem seen so far."""
        assert self.problems == [], "\n".join(self.problems)


def screenshot_dir(default: Path) -> Path:
    """Where screenshots go: ``$GRIDMGMT_SCREENSHOTS`` if set, else ``default``."""
    folder = Path(os.environ.get(SCREENSHOTS_VAR) or default)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def save_screenshots(
    page: Any,
    folder: Path,
    name: str,
    *,
    sizes: Sequence[dict[str, int]] = (DESKTOP, PHONE),
) -> list[Path]:
    """Screenshots of the page at each of ``sizes`` (1366x768 and 390x844), as
    ``<name>-<width>.png``; the viewport is put back as it was afterwards.
    """
    before = page.viewport_size
    paths = []
    for size in sizes:
        page.set_viewport_size(size)
        page.wait_for_timeout(150)  # let layout and map resizes settle
        path = folder / f"{name}-{size['width']}.png"
        page.screenshot(path=str(path))
        paths.append(path)
    if before:
        page.set_viewport_size(before)
    return paths
