"""Write-stage benchmarks: ``write_matches`` (pairs and waiting newcomers → matches.csv).

Why: at national scale the output has one row per newcomer and a reason each; writing must
not dominate. Also times ``match()`` itself on the same rosters (profiles in → result out),
the stage the CLI runs between reading and writing. Checks: one row per newcomer, the
contract's header, and the written scores add up to the result's total.
"""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import buddymatch
from buddymatch._result import MatchResult
from buddymatch._write import HEADER


@pytest.fixture(scope="module")
def result(pools: Any) -> MatchResult:
    return buddymatch.match(pools.newcomers, pools.locals)


def test_bench_match(benchmark: Any, pools: Any, result: MatchResult) -> None:
    again = benchmark(buddymatch.match, pools.newcomers, pools.locals)
    assert again.objective == result.objective  # deterministic and exact
    assert len(again.pairs) + len(again.unmatched) == len(pools.newcomers)
    assert len({p.newcomer_id for p in again.pairs}) == len(again.pairs)


def test_bench_write(
    benchmark: Any, result: MatchResult, tmp_path_factory: pytest.TempPathFactory
) -> None:
    path = tmp_path_factory.mktemp("out") / "matches.csv"
    written = benchmark(buddymatch.write_matches, result, path)
    with Path(written).open(encoding="utf-8-sig", newline="") as fh:  # BOM for Excel
        rows = list(csv.reader(fh))
    assert tuple(rows[0]) == HEADER
    body = rows[1:]
    assert len(body) == result.n_newcomers == len(result.pairs) + len(result.unmatched)
    paired = [r for r in body if r[1]]
    assert len(paired) == len(result.pairs)
    total = sum(Decimal(r[2].lstrip("'")) for r in paired)  # "'-0.5": escaped for Excel
    assert total == sum(Decimal(f"{p.score:.3f}") for p in result.pairs)
