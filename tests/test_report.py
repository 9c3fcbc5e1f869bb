"""The HTML report without a browser: escaping, privacy, no URLs, valid SVG, edge cases."""

from __future__ import annotations

import dataclasses
import html
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from importlib import resources
from pathlib import Path

import numpy as np
import pytest

from buddymatch._match import match
from buddymatch._profiles import Local, Newcomer
from buddymatch._read import read_locals, read_newcomers
from buddymatch._report import (
    MAX_MAP_LINES,
    html_page,
    html_table,
    match_report,
    svg_bar_chart,
    svg_histogram,
    svg_map,
    write_match_report,
)
from buddymatch._result import MatchResult

SAMPLES = resources.files("buddymatch") / "data" / "samples"
EVIL = "<script>alert('x')</script> & \"Zoë\""
SVG_RE = re.compile(r"<svg\b.*?</svg>", re.S)


@pytest.fixture(scope="module")
def sample() -> tuple[MatchResult, list[Newcomer], list[Local]]:
    with resources.as_file(SAMPLES) as d:
        newcomers = read_newcomers(Path(d) / "rivierenland_newcomers.csv").people
        locals_ = read_locals(Path(d) / "rivierenland_locals.csv").people
    return match(newcomers, locals_), newcomers, locals_


@pytest.fixture(scope="module")
def evil() -> tuple[MatchResult, list[Newcomer], list[Local]]:
    """Ids, names and places full of markup: one pair and one newcomer left waiting."""
    newcomers = [
        Newcomer(id="N<1>&\"a'", name=EVIL, postcode="4001", languages="nl:B1", transport="bike"),
        Newcomer(id="N<2>", name="<b>Waiting</b>", postcode="4001", languages="ti:native"),
    ]
    locals_ = [Local(id="L&<1>", name="<i>Local</i>", postcode="4001", languages="nl:native")]
    return match(newcomers, locals_), newcomers, locals_


def svgs(page: str) -> list[str]:
    return SVG_RE.findall(page)


def assert_valid_svg(svg: str) -> ET.Element:
    root = ET.fromstring(svg)
    assert root.tag == "svg"
    assert root.find("title") is not None and (root.find("title").text or "").strip()
    return root


class _Nesting(HTMLParser):
    """Checks that every non-void element is closed in order (a cheap well-formedness test)."""

    VOID = frozenset({"meta", "br", "img", "input", "link", "hr", "wbr"})

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_endtag(self, tag: str) -> None:
        assert self.stack and self.stack[-1] == tag, (tag, self.stack[-5:])
        self.stack.pop()


def parse(page: str) -> _Nesting:
    p = _Nesting()
    p.feed(page)
    p.close()
    assert p.stack == []
    return p


def test_sample_report_has_all_parts(sample: tuple[MatchResult, list[Newcomer], list[Local]]):
    result, newcomers, locals_ = sample
    page = match_report(result, newcomers, locals_)
    assert page.startswith("<!DOCTYPE html>")
    assert '<html lang="en">' in page
    assert "<title>Buddy matching report</title>" in page
    assert f"{result.matched_count} of {result.n_newcomers}" in page
    for heading in ("Map", "Scores and travel", "Why newcomers are waiting", "Waiting newcomers"):
        assert f"<h2>{heading}</h2>" in page
    assert "Supply and demand per municipality" in page
    figures = svgs(page)
    assert len(figures) == 5  # map, scores, travel, reasons, supply vs demand
    for svg in figures:
        assert_valid_svg(svg)
    assert page.count("<figcaption>") == 5
    tags = parse(page).tags
    assert any(t == "th" for t, _ in tags)
    for u in result.unmatched:
        assert u.newcomer_id in page
    assert "Tiel" in page and "West Betuwe" in page  # municipality labels and table
    # Same input, same bytes.
    assert match_report(result, newcomers, locals_) == page


def test_no_names_unless_asked(sample: tuple[MatchResult, list[Newcomer], list[Local]]):
    result, newcomers, locals_ = sample
    names = [p.name for p in [*newcomers, *locals_] if p.name]
    assert len(names) > 100
    page = match_report(result, newcomers, locals_)
    leaked = [n for n in names if n in page or html.escape(n) in page]
    assert leaked == []
    with_names = match_report(result, newcomers, locals_, names=True)
    by_id = {n.id: n.name for n in newcomers}
    shown = [by_id[p.newcomer_id] for p in result.pairs if by_id[p.newcomer_id]]
    assert len(shown) > 10
    for name in shown:
        assert name in with_names
    assert '<th scope="col">newcomer name</th>' in with_names


def test_markup_in_ids_names_and_reasons_is_escaped(
    evil: tuple[MatchResult, list[Newcomer], list[Local]],
):
    result, newcomers, locals_ = evil
    assert result.matched_count == 1 and len(result.unmatched) == 1
    for names in (False, True):
        page = match_report(result, newcomers, locals_, names=names, title="A <b>title</b> & co")
        assert "<script" not in page
        assert "<b>" not in page and "<i>" not in page
        assert "N<1>" not in page and "L&<1>" not in page and "N<2>" not in page
        assert "N&lt;1&gt;&amp;&quot;a&#x27;" in page
        assert "<title>A &lt;b&gt;title&lt;/b&gt; &amp; co</title>" in page
        for svg in svgs(page):
            assert_valid_svg(svg)
        parse(page)
        if names:
            assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; &quot;Zoë&quot;" in page
            assert "&lt;i&gt;Local&lt;/i&gt;" in page
        else:
            assert "alert" not in page and "Zoë" not in page and "Local</" not in page


def test_no_urls_scripts_or_external_resources(
    sample: tuple[MatchResult, list[Newcomer], list[Local]],
):
    result, newcomers, locals_ = sample
    page = match_report(result, newcomers, locals_, names=True)
    urls = re.findall(
        r"""\b(?:src|href|xlink:href|action|poster|data)\s*=\s*["']?([^"'\s>]*)""", page
    )
    assert [u for u in urls if re.match(r"(?i)(https?:|//|ftp:)", u.strip())] == []
    assert "http://" not in page and "https://" not in page
    for tag, attrs in parse(page).tags:
        assert tag not in ("script", "img", "link", "iframe", "object", "embed", "image", "use")
        assert "src" not in attrs and "href" not in attrs
    assert "url(" not in page and "@import" not in page
    assert "Content-Security-Policy" in page and "default-src &#x27;none&#x27;" in page


def test_empty_result_still_renders():
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
    page = match_report(empty, [], [])
    assert "0 of 0" in page and "Nobody is waiting." in page
    for svg in svgs(page):
        assert_valid_svg(svg)
    parse(page)


def test_people_but_no_pairs(tmp_path: Path):
    newcomers = [
        Newcomer(id=f"N{i}", postcode=pc, languages="ti:native")
        for i, pc in enumerate(["4001", "4101"])
    ]
    locals_ = [Local(id="L1", postcode="4001", languages="nl:native")]
    result = match(newcomers, locals_)
    assert result.matched_count == 0
    path = write_match_report(tmp_path / "r.html", result, newcomers, locals_, by="pc4")
    page = path.read_text(encoding="utf-8")
    assert "0 of 2" in page and "Supply and demand per postcode area" in page
    assert "nothing to show" in page  # empty histograms say so
    for svg in svgs(page):
        assert_valid_svg(svg)
    parse(page)


def test_svg_helpers_are_valid_xml_and_escape():
    label = '<Tiel & "Maurik">\''
    bar = svg_bar_chart([label, "b"], [3, 0], title="t <&>", unit="n & m")
    grouped = svg_bar_chart(
        [label, "b"], {"newcomers": [3, 1], "locals <>": [0, 2]}, title="g", unit="people"
    )
    hist = svg_histogram([1.0, 2.0, float("nan"), 2.5], bins=4, title="h & h", unit="min")
    stacked = svg_histogram(
        [1, 2, 3, 4], bins=2, title="s", unit="min", groups=["bike", "car <x>", "bike", "bike"]
    )
    single = svg_histogram([5.0] * 3, bins=10, title="one value", unit="")
    empty_hist = svg_histogram([], bins=10, title="none", unit="")
    mp = svg_map(
        [(51.88, 5.43, "local", label), (51.9, 5.4, "matched", "N1"), (51.8, 5.3, "odd <k>", "x")],
        [((51.88, 5.43), (51.9, 5.4))],
        title="map <&>",
        area_labels=[(51.88, 5.42, label)],
    )
    one_point = svg_map([(51.88, 5.43, "waiting", "N1")], [], title="one")
    no_points = svg_map([], [], title="nobody")
    for svg in (bar, grouped, hist, stacked, single, empty_hist, mp, one_point, no_points):
        root = assert_valid_svg(svg)
        assert float(root.get("width", "0")) > 0 and float(root.get("height", "0")) > 0
        assert "<Tiel" not in svg
    assert "&lt;Tiel &amp; &quot;Maurik&quot;&gt;&#x27;" in bar
    assert "1 without a value" in hist
    assert "odd &lt;k&gt;" in mp
    with pytest.raises(ValueError):
        svg_bar_chart(["a"], [1, 2], title="x")
    with pytest.raises(ValueError):
        svg_histogram([1, 2], title="x", groups=["a"])


def test_map_samples_lines_above_the_cap():
    rng = np.random.default_rng(1)
    lat = 51.8 + rng.random((MAX_MAP_LINES + 1000, 2)) * 0.2
    lon = 5.2 + rng.random((MAX_MAP_LINES + 1000, 2)) * 0.3
    lines = [((a, b), (c, d)) for (a, c), (b, d) in zip(lat.tolist(), lon.tolist(), strict=True)]
    svg = svg_map([(51.9, 5.3, "local", "L1")], lines, title="many")
    path = re.search(r'<path d="([^"]*)" stroke', svg)
    assert path is not None and path.group(1).count("M") == MAX_MAP_LINES
    assert f"lines: a fixed sample of {MAX_MAP_LINES:,} of {len(lines):,}" in svg
    assert svg == svg_map([(51.9, 5.3, "local", "L1")], lines, title="many")
    assert_valid_svg(svg)


def test_table_and_page_helpers():
    table = html_table(["id", "n <x>"], [["<a>", 1.5], [None, 2]], numeric=[1], max_rows=1)
    assert '<th class="num" scope="col">n &lt;x&gt;</th>' in table
    assert "<td>&lt;a&gt;</td>" in table and "1.5" in table
    assert "First 1 of 2 rows shown." in table
    page = html_page("T & <t>", [table], lead="lead <l>")
    assert "<title>T &amp; &lt;t&gt;</title>" in page and "lead &lt;l&gt;" in page
    parse(page)


def test_bad_area_key(sample: tuple[MatchResult, list[Newcomer], list[Local]]):
    result, newcomers, locals_ = sample
    with pytest.raises(ValueError):
        match_report(result, newcomers, locals_, by="name")


def test_learned_weights_show_expected_meetings(
    sample: tuple[MatchResult, list[Newcomer], list[Local]],
):
    result, newcomers, locals_ = sample
    pairs = tuple(dataclasses.replace(p, probability=0.5, score=0.5) for p in result.pairs)
    learned = dataclasses.replace(result, pairs=pairs)
    page = match_report(learned, newcomers, locals_)
    assert f"{0.5 * len(pairs):,.1f}" in page and "pairs expected to meet twice" in page
    assert "probability of meeting twice" in page
    assert "pairs expected to meet twice" not in match_report(result, newcomers, locals_)
