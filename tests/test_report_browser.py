"""The HTML report in a real browser: it renders, shows its figures, logs nothing, fetches nothing.

Uses Debian's chromium (``/usr/bin/chromium``) driven by playwright's Python package; the
browser playwright would download is never used (no ``playwright install``). Without
chromium the test is skipped on a workstation, but fails when ``CI`` is set, so CI cannot
pass by skipping it.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from buddymatch._match import match
from buddymatch._profiles import Local, Newcomer
from buddymatch._read import read_locals, read_newcomers
from buddymatch._report import write_match_report
from buddymatch._result import MatchResult

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SAMPLES = resources.files("buddymatch") / "data" / "samples"


def _unavailable(why: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{why}; CI is set, so the browser test must run", pytrace=False)
    pytest.skip(why)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        _unavailable(f"{CHROMIUM} not found (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("playwright is not installed (pip install -e '.[dev]')")
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            yield b
        finally:
            b.close()


def _open(browser: Any, path: Path) -> tuple[Any, Any, list[str], list[str]]:
    """Load ``path`` in a fresh page, recording console messages, page errors and requests."""
    context = browser.new_context(viewport={"width": 1100, "height": 900})
    page = context.new_page()
    messages: list[str] = []
    requests: list[str] = []
    page.on("console", lambda m: messages.append(f"{m.type}: {m.text}"))
    page.on("pageerror", lambda e: messages.append(f"pageerror: {e}"))
    page.on("requestfailed", lambda r: messages.append(f"requestfailed: {r.url}"))
    page.on("request", lambda r: requests.append(r.url))
    page.goto(path.resolve().as_uri(), wait_until="load")
    page.wait_for_timeout(200)  # let any late console message or request arrive
    return context, page, messages, requests


def _sample() -> tuple[MatchResult, list[Newcomer], list[Local]]:
    with resources.as_file(SAMPLES) as d:
        newcomers = read_newcomers(Path(d) / "rivierenland_newcomers.csv").people
        locals_ = read_locals(Path(d) / "rivierenland_locals.csv").people
    return match(newcomers, locals_), newcomers, locals_


def test_report_renders_in_chromium(browser: Any, tmp_path: Path) -> None:
    result, newcomers, locals_ = _sample()
    evil = newcomers[0].model_copy(update={"name": "<script>alert(1)</script>"})
    report = write_match_report(
        tmp_path / "report.html", result, [evil, *newcomers[1:]], locals_, names=True
    )
    context, page, messages, requests = _open(browser, report)
    try:
        assert page.title() == "Buddy matching report"
        body = page.inner_text("body")
        assert f"{result.matched_count} of {result.n_newcomers}" in body
        assert "newcomers waiting" in body and "Supply and demand per municipality" in body
        assert page.locator("h1").inner_text() == "Buddy matching report"

        figures = page.locator("figure svg")
        assert figures.count() == 5
        for i in range(figures.count()):
            box = figures.nth(i).bounding_box()
            assert box is not None and box["width"] > 100 and box["height"] > 100, i
        map_svg = figures.nth(0)
        assert map_svg.locator("title").first.text_content() == "Pairs and waiting newcomers"
        assert map_svg.locator("circle").count() >= result.matched_count
        assert map_svg.locator("path").count() >= len(result.unmatched)  # triangles + lines
        assert "local volunteer" in (map_svg.text_content() or "")

        # The pairs table opens; the escaped name shows as text and never ran as a script.
        page.locator("summary").first.click()
        pairs_table = page.locator("details table")
        assert pairs_table.is_visible()
        assert "<script>alert(1)</script>" in pairs_table.inner_text()
        assert page.locator("script").count() == 0

        shot = tmp_path / "report.png"
        page.screenshot(path=str(shot), full_page=True)
        header = shot.read_bytes()[:24]
        assert header[:8] == b"\x89PNG\r\n\x1a\n"
        width, height = struct.unpack(">II", header[16:24])
        assert width >= 1000 and height > 2000
    finally:
        context.close()

    assert messages == []
    assert requests == [report.resolve().as_uri()]


def test_empty_report_renders_in_chromium(browser: Any, tmp_path: Path) -> None:
    empty = MatchResult(
        pairs=(),
        unmatched=(),
        solver="flow",
        status="optimal",
        objective=0,
        bound=0,
        objective_kind="count",
        n_newcomers=0,
        n_locals=0,
        n_candidates=0,
        seed=0,
        seconds=0.0,
    )
    report = write_match_report(tmp_path / "empty.html", empty, [], [])
    context, page, messages, requests = _open(browser, report)
    try:
        assert "0 of 0" in page.inner_text("body")
        svg = page.locator("figure svg")
        assert svg.count() >= 1
        for i in range(svg.count()):
            box = svg.nth(i).bounding_box()
            assert box is not None and box["width"] > 0 and box["height"] > 0
    finally:
        context.close()
    assert messages == []
    assert requests == [report.resolve().as_uri()]


def test_missing_browser_fails_under_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    """CI must not pass by skipping: without a browser the test skips locally, fails in CI."""
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI is set"):
        _unavailable("no browser")
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception, match="no browser"):
        _unavailable("no browser")


@pytest.mark.parametrize("kind", ["whatif", "monitor"])
def test_lead_reports_render_offline(browser: Any, tmp_path: Path, kind: str) -> None:
    from buddymatch.cli import main

    root = Path(__file__).resolve().parent.parent
    out = tmp_path / f"{kind}.html"
    if kind == "whatif":
        examples = sorted(str(p) for p in (root / "docs" / "examples").glob("*.toml"))
        assert main(["whatif", *examples, "--report", str(out)]) == 0
    else:
        with resources.as_file(SAMPLES) as d:
            assert (
                main(
                    [
                        "monitor",
                        str(Path(d) / "rivierenland_newcomers.csv"),
                        str(Path(d) / "rivierenland_locals.csv"),
                        "--report",
                        str(out),
                    ]
                )
                == 0
            )
    context, page, messages, requests = _open(browser, out)
    try:
        assert page.title() in ("What-if comparison", "Supply and demand monitor")
        boxes = [s.bounding_box() for s in page.query_selector_all("svg")]
        assert len(boxes) >= 3
        assert all(b and b["width"] > 100 and b["height"] > 50 for b in boxes)
        assert messages == []
        assert requests == [out.resolve().as_uri()]
    finally:
        context.close()
