"""The HTML model card in a real headless Chromium: no console error, no network request.

Drives Chromium over the DevTools Protocol (websocket-client), records every request the page
makes and every console/log error, checks that the embedded plots decode, and saves a
full-page screenshot to tests/artifacts/ for a person to look at. Fails without Chromium.
"""

from __future__ import annotations

import base64
import itertools
import json
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import lxml.html
import pytest
import websocket
from support.cards import ARTIFACTS, metric_history, record_with_diagnostics
from support.latex import pdf_text

import repro

pytestmark = pytest.mark.browser

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    "--hide-scrollbars",
    "--remote-debugging-port=0",
]
DEADLINE_S = 60.0


@dataclass
class PageReport:
    """What one page load did: requests leaving file:/data:, console and log errors."""

    external_requests: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    images_ok: bool = False
    screenshot: bytes = b""


class DevTools:
    """A minimal DevTools Protocol client over one browser websocket (flattened sessions)."""

    def __init__(self, url: str) -> None:
        self.ws = websocket.create_connection(url, timeout=DEADLINE_S, suppress_origin=True)
        self.ids = itertools.count(1)
        self.events: list[dict[str, Any]] = []

    def call(self, method: str, session: str | None = None, **params: Any) -> dict[str, Any]:
        """Send a command and wait for its reply, keeping the events that arrive meanwhile."""
        message_id = next(self.ids)
        message: dict[str, Any] = {"id": message_id, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        self.ws.send(json.dumps(message))
        deadline = time.monotonic() + DEADLINE_S
        while time.monotonic() < deadline:
            reply = json.loads(self.ws.recv())
            if reply.get("id") == message_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)
        raise TimeoutError(method)

    def wait_for(self, method: str) -> dict[str, Any]:
        """Block until an event named ``method`` arrives (or was already received)."""
        for event in self.events:
            if event.get("method") == method:
                return event
        deadline = time.monotonic() + DEADLINE_S
        while time.monotonic() < deadline:
            event = json.loads(self.ws.recv())
            self.events.append(event)
            if event.get("method") == method:
                return event
        raise TimeoutError(method)

    def close(self) -> None:
        self.ws.close()


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevTools]:
    assert Path(CHROMIUM).exists(), (
        "headless Chromium is required for the browser test (Debian: apt-get install chromium)"
    )
    profile = tmp_path_factory.mktemp("chromium-profile")
    process = subprocess.Popen(
        [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", "about:blank"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        port_file = profile / "DevToolsActivePort"
        deadline = time.monotonic() + DEADLINE_S
        while not port_file.exists() or len(port_file.read_text().splitlines()) < 2:
            assert process.poll() is None, process.stderr.read().decode(errors="replace")
            assert time.monotonic() < deadline, "Chromium did not open its DevTools port"
            time.sleep(0.1)
        port, path = port_file.read_text().splitlines()[:2]
        client = DevTools(f"ws://127.0.0.1:{port}{path}")
        try:
            yield client
        finally:
            client.close()
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def load_page(tools: DevTools, path: Path, *, width: int = 1100) -> PageReport:
    """Open ``path`` in a fresh tab, let it settle, and report what it did."""
    target = tools.call("Target.createTarget", url="about:blank")["targetId"]
    session = tools.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
    tools.events.clear()
    for domain in ("Network", "Runtime", "Log", "Page"):
        tools.call(f"{domain}.enable", session)
    tools.call(
        "Emulation.setDeviceMetricsOverride",
        session,
        width=width,
        height=900,
        deviceScaleFactor=1,
        mobile=False,
    )
    tools.call("Page.navigate", session, url=path.resolve().as_uri())
    tools.wait_for("Page.loadEventFired")
    images = tools.call(
        "Runtime.evaluate",
        session,
        expression="Array.from(document.images).every(i => i.complete && i.naturalWidth > 0)",
        returnByValue=True,
    )
    shot = tools.call("Page.captureScreenshot", session, format="png", captureBeyondViewport=True)
    report = PageReport(
        images_ok=images["result"]["value"] is True, screenshot=base64.b64decode(shot["data"])
    )
    for event in tools.events:
        method, params = event.get("method"), event.get("params", {})
        if method == "Network.requestWillBeSent":
            url = params["request"]["url"]
            if not url.startswith(("file:", "data:")):
                report.external_requests.append(url)
        elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            report.errors.append(json.dumps(params.get("args")))
        elif method == "Runtime.exceptionThrown":
            report.errors.append(json.dumps(params.get("exceptionDetails")))
        elif method == "Log.entryAdded" and params["entry"]["level"] == "error":
            report.errors.append(params["entry"]["text"])
    tools.call("Target.closeTarget", targetId=target)
    return report


def test_html_card_opens_offline_without_errors(browser: DevTools, tmp_path: Path) -> None:
    html = repro.render(record_with_diagnostics(), "card-html", history=metric_history())
    page = tmp_path / "model_card.html"
    page.write_text(html, encoding="utf-8")

    report = load_page(browser, page)

    assert report.external_requests == []
    assert report.errors == []
    assert report.images_ok, "an embedded plot did not decode"
    assert html.count("<img ") == 2  # training curves and gradient flow
    assert report.screenshot.startswith(b"\x89PNG\r\n\x1a\n")
    (tmp_path / "model_card.png").write_bytes(report.screenshot)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "model_card.png").write_bytes(report.screenshot)
    (ARTIFACTS / "model_card.html").write_text(html, encoding="utf-8")


def test_harness_sees_external_requests_and_errors(browser: DevTools, tmp_path: Path) -> None:
    """Control: a page that does reach out is caught, so the test above can fail."""
    page = tmp_path / "leaky.html"
    page.write_text(
        "<!DOCTYPE html><html><head><title>leak</title>"
        '<link rel="stylesheet" href="http://127.0.0.1:9/style.css"></head>'
        "<body><script>console.error('boom')</script></body></html>",
        encoding="utf-8",
    )

    report = load_page(browser, page)

    assert "http://127.0.0.1:9/style.css" in report.external_requests
    assert any("boom" in error for error in report.errors)


# -- printing ----------------------------------------------------------------------------------

PRINT_FLAGS = [flag for flag in FLAGS if not flag.startswith("--remote-debugging")]
WORD = re.compile(r"[A-Za-z]+")


def print_to_pdf(page: Path, pdf: Path, profile: Path) -> None:
    """The page printed by headless Chromium (A4-ish default paper, no header or footer)."""
    assert Path(CHROMIUM).exists(), "headless Chromium is required (Debian: chromium)"
    done = subprocess.run(
        [
            CHROMIUM,
            *PRINT_FLAGS,
            f"--user-data-dir={profile}",
            "--no-pdf-header-footer",
            f"--print-to-pdf={pdf}",
            page.resolve().as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert pdf.exists() and pdf.stat().st_size > 0, done.stderr[-2000:]


def broken_words(lines: list[str], words: set[str]) -> list[str]:
    """Places where a line ends inside a word: the last token of one line and the first of the
    next join into (a prefix of) a word of the page that neither is on its own."""
    found = []
    prefixes = {w[:i] for w in words for i in range(2, len(w) + 1)}
    for line, after in itertools.pairwise(lines):
        if not line.strip() or not after.strip() or line.rstrip().endswith("-"):
            continue
        end = WORD.findall(line.split()[-1])
        start = WORD.findall(after.split()[0])
        if not end or not start or not line.split()[-1].endswith(end[-1]):
            continue
        if not after.split()[0].startswith(start[0]):
            continue
        left, right = end[-1], start[0]
        joined = left + right
        if joined in prefixes and left not in words and right not in words:
            found.append(f"{left}|{right}")
    return found


def test_printed_card_breaks_between_words_and_keeps_headings_with_content(
    tmp_path: Path,
) -> None:
    html = repro.render(record_with_diagnostics(), "card-html", history=metric_history())
    page = tmp_path / "model_card.html"
    page.write_text(html, encoding="utf-8")
    pdf = tmp_path / "model_card.pdf"
    print_to_pdf(page, pdf, tmp_path / "profile")
    pages = pdf_text(pdf).split("\f")
    doc = lxml.html.document_fromstring(html)
    short = {w for w in WORD.findall(doc.text_content()) if 3 <= len(w) <= 12}
    lines = [line for text in pages for line in text.splitlines()]
    assert broken_words(lines, short) == []
    headings = {" ".join(h.text_content().split()) for h in doc.iter("h2", "h3")}
    printed = [p for p in pages if p.strip()]
    assert len(printed) > 1  # the check below has page ends to look at
    for number, text in enumerate(printed[:-1], start=1):
        last = [line for line in text.splitlines() if line.strip()][-1]
        assert " ".join(last.split()) not in headings, f"page {number} ends with {last!r}"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "model_card.pdf").write_bytes(pdf.read_bytes())


def test_word_break_check_sees_a_broken_word() -> None:
    """Control: the check above does catch 'Mo/dul/e' and 'LS/TM', and passes whole words."""
    words = {"Module", "LSTM", "layer"}
    assert broken_words(["the Mo", "dule layer"], words) == ["Mo|dule"]
    assert broken_words(["an LS", "TM layer"], words) == ["LS|TM"]
    assert broken_words(["the Module", "layer"], words) == []
