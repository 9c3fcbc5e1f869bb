"""Candidate pairs and hard rules: the vectorised code against a plain per-pair reference."""

from __future__ import annotations

import math
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from buddymatch import _match, _pairs
from buddymatch._pairs import check_pairs, near_pairs, rule_passes
from buddymatch._pool import Vocabulary, build_pool
from buddymatch._profiles import Local, Newcomer, Person
from buddymatch._vocab import MODES, SLOT_BIT
from buddymatch._weights import Weights

W = Weights.default()
# Real postcode areas in Rotterdam and Rivierenland, a few km to tens of km apart.
POSTCODES = ["3071", "3011", "3035", "3083", "4001", "4021", "4101", "4191", "4011", "4033"]
LANGS = ["ar:native", "nl:A1", "nl:B2", "nl:native", "en:A2", "en:C1", "ti:native", "fa:B1"]
SLOTS = ["mon-morning", "tue-afternoon", "sat-morning", "sat-evening", "sun-afternoon", "wed"]


def _km(a: Person, b: Person) -> float:
    """Straight-line distance: the chord between the two points on a sphere."""

    def point(p: Person) -> tuple[float, float, float]:
        la, lo = math.radians(p.lat), math.radians(p.lon)
        return (math.cos(la) * math.cos(lo), math.cos(la) * math.sin(lo), math.sin(la))

    return 6371.0088 * math.dist(point(a), point(b))


def reference(n: Newcomer, loc: Local) -> tuple[bool, float]:
    """The hard rules written out for one pair, the slow and obvious way."""
    common = set(n.availability) & set(loc.availability)
    shared = [min(n.languages[c], loc.languages[c]) for c in n.languages if c in loc.languages]
    if not shared or max(shared) < W.rules.min_shared_level or not common:
        return False, math.inf
    if (n.gender_preference == "same" or loc.gender_preference == "same") and (
        n.gender is None or n.gender != loc.gender
    ):
        return False, math.inf
    best = math.inf
    for traveller in (n, loc):
        for mode in traveller.transport:
            spec = W.mode(mode)
            minutes = _km(n, loc) * spec.detour / spec.speed_kmh * 60 + spec.overhead_min
            runs = any(SLOT_BIT[s] & spec.runs_mask for s in common)
            if minutes <= traveller.max_travel_min and runs:
                best = min(best, minutes)
    return math.isfinite(best), best


def person(cls: type, i: int, draw: st.DrawFn) -> Person:
    return cls(  # type: ignore[no-any-return]
        id=f"{cls.__name__[0]}{i:03d}",
        postcode=draw(st.sampled_from(POSTCODES)),
        languages="|".join(draw(st.lists(st.sampled_from(LANGS), min_size=1, max_size=3))),
        availability="|".join(draw(st.lists(st.sampled_from(SLOTS), min_size=1, max_size=3))),
        transport="|".join(draw(st.lists(st.sampled_from(MODES), min_size=1, max_size=2))),
        max_travel_min=draw(st.sampled_from([10, 20, 30, 45, 60])),
        gender=draw(st.sampled_from(["f", "m", None])),
        gender_preference=draw(st.sampled_from(["any", "any", "same"])),
    )


@st.composite
def rosters(draw: st.DrawFn) -> tuple[list[Newcomer], list[Local]]:
    n = draw(st.integers(1, 8))
    m = draw(st.integers(1, 8))
    return (
        [person(Newcomer, i, draw) for i in range(n)],  # type: ignore[misc]
        [person(Local, j, draw) for j in range(m)],
    )  # type: ignore[misc]


@settings(max_examples=60, deadline=None)
@given(rosters())
def test_candidates_equal_the_per_pair_reference(data: tuple[list[Newcomer], list[Local]]) -> None:
    newcomers, locals_ = data
    vocab = Vocabulary.of(newcomers, locals_)
    npool, lpool = build_pool(newcomers, vocab), build_pool(locals_, vocab)
    n, m = near_pairs(npool, lpool, W)
    checks = check_pairs(npool, lpool, n, m, W)
    found = {
        (int(a), int(b)): float(t)
        for a, b, t, ok in zip(
            checks.newcomer, checks.local, checks.travel_min, checks.feasible, strict=True
        )
        if ok
    }
    expected = {}
    for i, nc in enumerate(newcomers):
        for j, lc in enumerate(locals_):
            ok, minutes = reference(nc, lc)
            if ok:
                expected[(i, j)] = minutes
    assert found.keys() == expected.keys()
    for key, minutes in expected.items():
        assert math.isclose(found[key], minutes, rel_tol=1e-9)


@settings(max_examples=60, deadline=None)
@given(rosters(), st.integers(0, 6))
def test_rule_passes_equal_those_of_the_full_check(
    data: tuple[list[Newcomer], list[Local]], min_level: int
) -> None:
    """Every pair, near or not, and any minimum language level."""
    newcomers, locals_ = data
    weights = W.model_copy(
        update={"rules": W.rules.model_copy(update={"min_shared_level": min_level})}
    )
    vocab = Vocabulary.of(newcomers, locals_)
    npool, lpool = build_pool(newcomers, vocab), build_pool(locals_, vocab)
    n = np.repeat(np.arange(npool.size), lpool.size)
    m = np.tile(np.arange(lpool.size), npool.size)
    full = check_pairs(npool, lpool, n, m, weights).passes
    quick = rule_passes(npool, lpool, n, m, weights)
    assert quick.keys() == full.keys()
    for stage, passes in full.items():
        assert np.array_equal(quick[stage], passes), stage


def _pair(n_kwargs: dict[str, str], l_kwargs: dict[str, str]) -> dict[str, bool]:
    nc = Newcomer(id="N1", **{"languages": "ar:native|nl:B1", **n_kwargs})  # type: ignore[arg-type]
    lc = Local(id="L1", **{"languages": "nl:native", **l_kwargs})  # type: ignore[arg-type]
    vocab = Vocabulary.of([nc], [lc])
    checks = check_pairs(
        build_pool([nc], vocab), build_pool([lc], vocab), np.array([0]), np.array([0]), W
    )
    return {k: bool(v[0]) for k, v in checks.passes.items()}


def test_neighbourhood_bus_counts_only_when_it_runs() -> None:
    # Maurik → Tiel is about 8 km: too far to walk, fine by neighbourhood bus on a weekday.
    village = {"postcode": "4021", "transport": "neighbourhood_bus", "max_travel_min": "60"}
    town = {"postcode": "4001", "transport": "walk"}
    weekday = _pair({**village, "availability": "tue-morning"}, {**town, "availability": "tue"})
    weekend = _pair({**village, "availability": "sat"}, {**town, "availability": "sat|sun"})
    assert weekday["transport_runs"]
    assert weekend["reach"] and weekend["time"] and not weekend["transport_runs"]


def test_language_needs_the_minimum_level_on_both_sides() -> None:
    assert not _pair({"postcode": "3071", "languages": "ar:native|nl:A1"}, {"postcode": "3071"})[
        "language"
    ]
    assert _pair({"postcode": "3071", "languages": "ar:native|nl:A2"}, {"postcode": "3071"})[
        "language"
    ]


def test_same_gender_preference_needs_known_equal_genders() -> None:
    same = {"postcode": "3071", "gender": "f", "gender_preference": "same"}
    assert _pair(same, {"postcode": "3071", "gender": "f"})["gender"]
    assert not _pair(same, {"postcode": "3071", "gender": "m"})["gender"]
    assert not _pair(same, {"postcode": "3071"})["gender"]


def test_a_reach_of_zero_still_meets_people_in_the_same_postcode_area() -> None:
    """Public transport's 10 minutes of walking and waiting use up a 10-minute limit, so
    the reach is 0 km; yet someone at the same postcode centre is 10 minutes away: workable.
    (Found by the property test above: such people used to be left out of the search.)"""
    newcomer = Newcomer(
        id="N1", postcode="3071", languages="ar:native", availability="mon-morning",
        transport="public_transport", max_travel_min=10,
    )  # fmt: skip
    local = Local(
        id="L1", postcode="3071", languages="ar:native", availability="mon-morning",
        transport="public_transport", max_travel_min=10,
    )  # fmt: skip
    assert reference(newcomer, local)[0]
    vocab = Vocabulary.of([newcomer], [local])
    npool, lpool = build_pool([newcomer], vocab), build_pool([local], vocab)
    n, m = near_pairs(npool, lpool, W)
    assert check_pairs(npool, lpool, n, m, W).feasible.tolist() == [True]
    prep = _match.prepare([newcomer], [local], W)
    assert prep.n_candidates == 1


def test_the_k_d_tree_comes_without_the_rest_of_scipy_spatial() -> None:
    """In a fresh process: the tree class loads without ``scipy.spatial`` (which would
    bring scipy.linalg and scipy.special), finds the same pairs, and a later ``import
    scipy.spatial`` uses that very class, its module an attribute of the package as usual."""
    code = (
        "import sys, numpy as np\n"
        "from buddymatch._pairs import kd_tree\n"
        "tree = kd_tree()\n"
        "assert 'scipy.spatial' not in sys.modules, 'package imported'\n"
        "assert 'scipy.linalg' not in sys.modules, 'linalg imported'\n"
        "a, b = np.random.default_rng(1).random((2, 300, 3))\n"
        "mine = tree(a).sparse_distance_matrix(tree(b), 0.2, output_type='ndarray')\n"
        "import scipy.spatial\n"
        "assert scipy.spatial.cKDTree is tree\n"
        "import scipy.spatial._ckdtree\n"
        "assert scipy.spatial._ckdtree.cKDTree is tree\n"
        "theirs = scipy.spatial.KDTree(a).sparse_distance_matrix(\n"
        "    scipy.spatial.KDTree(b), 0.2, output_type='ndarray')\n"
        "assert len(mine) > 100 and sorted(mine.tolist()) == sorted(theirs.tolist())\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_the_k_d_tree_falls_back_to_scipy_spatial(monkeypatch: pytest.MonkeyPatch) -> None:
    """Where the compiled module cannot be loaded on its own, the package is imported."""
    from scipy.spatial import cKDTree

    monkeypatch.setattr(_pairs, "_KD_TREE_MODULE", "scipy.spatial._no_such_module")
    assert _pairs._load_alone("scipy.spatial._no_such_module") is None
    _pairs.kd_tree.cache_clear()
    try:
        assert _pairs.kd_tree() is cKDTree
    finally:
        _pairs.kd_tree.cache_clear()
