"""The feedback loop: learning weights from outcomes, deviants, exploration.

Why: the learner's weights decide the next cohort's pairs. These tests show, in simulated
worlds whose true drivers are known (``fixtures/simulate.py``), that learning from one
cohort of about 1,000 pairs gets the signs right and closes most of the gap between the
default weights and the best achievable matching — in two worlds with different drivers,
so the method is not tuned to one — and that thin or odd data is refused in plain words,
never turned into NaN weights.
"""

from __future__ import annotations

import argparse
import io
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from _scripts import load_script
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from rich.console import Console
from scipy.optimize import linear_sum_assignment
from sklearn.base import clone

from buddymatch import Local, Newcomer, Weights, match
from buddymatch._cli_learn import add_commands
from buddymatch._errors import ConfigError, RosterError
from buddymatch._learning import (
    Cohort,
    WeightLearner,
    explore_pairs,
    find_deviants,
    learn_weights,
)
from buddymatch._match import features_for_pairs
from buddymatch._read import Outcome, OutcomeTable
from buddymatch._weights import FEATURES

gen = load_script("fixtures/generate.py")
sim = load_script("fixtures/simulate.py")
WORLDS = [sim.TRAVEL_AND_TIME, sim.LANGUAGE_AND_INTERESTS]


def _people(rows: list[dict[str, str]], model: Any) -> list[Any]:
    return [model.model_validate({k: v for k, v in r.items() if v}) for r in rows]


@cache
def _cohort(region: str, n: int, seed: int) -> tuple[list[Newcomer], list[Local]]:
    nrows, lrows = gen.generate_rosters(region, n, None, seed)
    return _people(nrows, Newcomer), _people(lrows, Local)


@cache
def _matched(region: str, n: int, seed: int) -> Any:
    newcomers, locals_ = _cohort(region, n, seed)
    return match(newcomers, locals_, weights=Weights.default())


def _table(rows: list[dict[str, str]], source: str = "outcomes.csv") -> OutcomeTable:
    outcomes = [
        Outcome(
            i + 2, r["newcomer_id"], r["local_id"], r["met_twice"] == "yes", int(r["met_count"])
        )
        for i, r in enumerate(rows)
    ]
    return OutcomeTable(source=source, outcomes=outcomes, rows_read=len(rows))


@cache
def _cohort_a(world_name: str) -> Cohort:
    """Cohort A (Rotterdam, 1,300 newcomers → about 930 pairs) matched with default weights."""
    newcomers, locals_ = _cohort("rotterdam", 1300, 1)
    rows = sim.simulate_outcomes(
        _matched("rotterdam", 1300, 1), newcomers, locals_, sim.WORLDS[world_name], seed=1
    )
    return Cohort(_table(rows), newcomers, locals_)


def _xy(n: int = 400, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, len(FEATURES)))
    y = (rng.random(n) < 1 / (1 + np.exp(-(x[:, 0] - x[:, 2])))).astype(int)
    return x, y


# ---------------------------------------------------------------------------------------
# Estimator conventions
# ---------------------------------------------------------------------------------------
def test_estimator_conventions() -> None:
    names = ["a", "b", "c", "d", "e", "f", "g"]
    est = WeightLearner(C="auto", n_bootstrap=20, random_state=3, feature_names=names)
    assert est.feature_names is names  # stored untouched
    twin = clone(est)
    assert twin.get_params() == est.get_params()
    assert not hasattr(twin, "coef_")

    x, y = _xy()
    est.fit(x, y)
    fitted = [k for k in vars(est) if k.endswith("_")]
    assert {"coef_", "intercept_", "coef_sd_", "C_", "classes_", "n_features_in_"} <= set(fitted)
    assert est.n_features_in_ == 7 and list(est.feature_names_in_) == names
    assert est.weights_ is None  # generic columns: no weights file
    assert est.predict_proba(x).shape == (len(x), 2)
    assert np.allclose(est.predict_proba(x).sum(axis=1), 1.0)
    assert set(est.predict(x)) <= {0, 1}

    again = clone(est).fit(x, y)
    assert np.array_equal(again.coef_sd_, est.coef_sd_)  # same random_state, same answer
    other = clone(est).set_params(random_state=4).fit(x, y)
    assert not np.array_equal(other.coef_sd_, est.coef_sd_)


def test_features_columns_give_a_probability_weights_file() -> None:
    x, y = _xy()
    est = WeightLearner(n_bootstrap=0).fit(x, y)
    assert est.weights_ is not None
    assert est.weights_.model.kind == "probability"
    assert est.weights_.vector() == pytest.approx(est.coef_.tolist())
    assert est.coef_sd_ is None
    logit = x @ est.coef_ + est.intercept_
    assert np.allclose(est.predict_proba(x)[:, 1], 1 / (1 + np.exp(-logit)))


def test_bad_parameters_are_refused_at_fit() -> None:
    x, y = _xy(100)
    for params in ({"C": -1.0}, {"C": "big"}, {"cv": 1}, {"min_outcomes": -3}):
        with pytest.raises(ValueError):
            WeightLearner(**params).fit(x, y)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------
# Refusals and finiteness
# ---------------------------------------------------------------------------------------
def test_refuses_too_few_outcomes_and_one_kind_only() -> None:
    x, y = _xy(30)
    with pytest.raises(ConfigError, match="only 30 outcomes; at least 40"):
        WeightLearner().fit(x, y)
    x, _ = _xy(100)
    with pytest.raises(ConfigError, match="all 100 pairs met twice or more"):
        WeightLearner().fit(x, np.ones(100, int))
    with pytest.raises(ConfigError, match="all 100 pairs met fewer than twice"):
        WeightLearner().fit(x, np.zeros(100, int))
    y = np.zeros(100, int)
    y[:4] = 1
    with pytest.raises(ConfigError, match="only 4 of 100 pairs met twice or more"):
        WeightLearner().fit(x, y)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data=st.data(),
    n=st.integers(min_value=2, max_value=40),
)
def test_never_non_finite_weights(data: st.DataObject, n: int) -> None:
    """Random small data: finite weights, or the documented refusal — nothing else."""
    elements = st.floats(-1e4, 1e4, allow_nan=False, allow_infinity=False)
    x = data.draw(hnp.arrays(np.float64, (n, len(FEATURES)), elements=elements))
    y = data.draw(hnp.arrays(np.int64, n, elements=st.integers(0, 1)))
    est = WeightLearner(min_outcomes=2, min_per_class=1, cv=2, n_bootstrap=3)
    try:
        est.fit(x, y)
    except ConfigError:
        assert y.min() == y.max()
        return
    assert np.all(np.isfinite(est.coef_)) and np.isfinite(est.intercept_)
    assert est.weights_ is not None
    assert all(np.isfinite(est.weights_.vector()))
    assert np.all(np.isfinite(est.predict_proba(x)))


def test_constant_and_duplicate_columns_stay_finite() -> None:
    x, y = _xy(200)
    x[:, 1] = 5.0  # a constant column carries no information: weight 0
    x[:, 3] = x[:, 0]
    est = WeightLearner(n_bootstrap=10).fit(x, y)
    assert est.coef_[1] == 0.0
    assert np.all(np.isfinite(est.coef_)) and np.all(np.isfinite(est.coef_sd_))


# ---------------------------------------------------------------------------------------
# Joining outcomes to rosters
# ---------------------------------------------------------------------------------------
def test_outcome_ids_not_in_rosters_are_located_errors() -> None:
    newcomers, locals_ = _cohort("rivierenland", 60, 3)
    good = (newcomers[0].id, locals_[0].id)
    outcomes = [
        Outcome(2, *good, met_twice=True),
        Outcome(3, "N99999", locals_[1].id, met_twice=False),
        Outcome(4, newcomers[1].id, "L99999", met_twice=True),
        Outcome(5, *good, met_twice=False),
    ]
    cohort = Cohort(OutcomeTable(source="uitkomsten.csv", outcomes=outcomes), newcomers, locals_)
    with pytest.raises(RosterError) as info:
        learn_weights([cohort])
    where = {(p.file, p.row, p.column, p.value) for p in info.value.problems}
    assert ("uitkomsten.csv", 3, "newcomer_id", "N99999") in where
    assert ("uitkomsten.csv", 4, "local_id", "L99999") in where
    assert any(
        p.row == 5 and "already has an outcome in row 2" in p.message for p in info.value.problems
    )


def test_hand_made_pairs_are_kept_with_capped_travel() -> None:
    cohort = _cohort_a(sim.TRAVEL_AND_TIME.name)
    newcomers, locals_ = cohort.newcomers, cohort.locals
    # pair far-apart people by hand: first newcomers with the last locals
    far = [(newcomers[i].id, locals_[-1 - i].id) for i in range(5)]
    extra = [Outcome(10_000 + i, a, b, met_twice=bool(i % 2)) for i, (a, b) in enumerate(far)]
    table = OutcomeTable(source="outcomes.csv", outcomes=[*cohort.outcomes.outcomes, *extra])
    weights, report = learn_weights([Cohort(table, newcomers, locals_)])
    assert report.outcomes_used == len(table.outcomes)
    assert report.hand_made_pairs >= 1
    assert all(np.isfinite(weights.vector()))


# ---------------------------------------------------------------------------------------
# Recovery in the simulated worlds
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("world", WORLDS, ids=lambda w: w.name)
def test_learned_weights_have_the_true_signs(world: Any) -> None:
    cohort = _cohort_a(world.name)
    weights, report = learn_weights([cohort])
    x, _ = features_for_pairs(
        cohort.newcomers,
        cohort.locals,
        [(o.newcomer_id, o.local_id) for o in cohort.outcomes.outcomes],
    )
    spread = sim.capped(x).std(axis=0)
    true = world.vector()
    learned = np.asarray(weights.vector())
    material = np.abs(true * spread) >= 0.15  # effects big enough to show in ~930 pairs
    assert material.sum() >= 3
    assert np.all(np.sign(learned[material]) == np.sign(true[material])), dict(
        zip(FEATURES, learned.round(3), strict=True)
    )
    assert report.outcomes_used == len(cohort.outcomes.outcomes) > 800
    assert report.cv_auc > report.comparison["no-skill baseline"].auc
    assert report.comparison["no-skill baseline"].auc == pytest.approx(0.5, abs=0.02)


@pytest.mark.parametrize("world", WORLDS, ids=lambda w: w.name)
def test_learning_closes_most_of_the_gap_on_a_fresh_cohort(world: Any) -> None:
    """THE KEY TEST: learn on cohort A, then match a fresh cohort B three ways."""
    learned, report = learn_weights([_cohort_a(world.name)])
    newcomers, locals_ = _cohort("rotterdam", 1300, 2)

    def true_expected(weights: Weights) -> float:
        result = match(newcomers, locals_, weights=weights)
        return float(sim.expected_met_twice(result, newcomers, locals_, world))

    default = float(
        sim.expected_met_twice(_matched("rotterdam", 1300, 2), newcomers, locals_, world)
    )
    best = true_expected(world.as_weights())
    got = true_expected(learned)
    closed = (got - default) / (best - default)
    print(f"{world.name}: default {default:.1f}, learned {got:.1f}, best {best:.1f}, {closed:.0%}")
    assert best > default + 5
    assert closed >= 0.5
    assert learned.provenance["outcomes"] == report.outcomes_used


# ---------------------------------------------------------------------------------------
# Positive deviants
# ---------------------------------------------------------------------------------------
def test_deviants_met_twice_with_a_low_chance() -> None:
    cohort = _cohort_a(sim.TRAVEL_AND_TIME.name)
    learned, _ = learn_weights([cohort])
    rep = find_deviants([cohort], learned, share=0.25)
    assert rep.model == "the given learned weights"
    assert rep.deviants and rep.low_chance_pairs >= len(rep.deviants)
    met = {(o.newcomer_id, o.local_id): o.met_twice for o in cohort.outcomes.outcomes}
    assert all(met[(d.newcomer_id, d.local_id)] for d in rep.deviants)
    assert all(d.probability <= rep.threshold for d in rep.deviants)
    assert all(isinstance(line, str) and line for line in rep.findings)
    # without learned weights, a model is learned from the same outcomes (held out)
    rep2 = find_deviants([cohort])
    assert rep2.model.startswith("weights learned from these outcomes")
    with pytest.raises(ConfigError, match="between 0 and 1"):
        find_deviants([cohort], share=1.5)


# ---------------------------------------------------------------------------------------
# Command line: learn → TOML → Weights.from_toml, deviants
# ---------------------------------------------------------------------------------------
def _cli(argv: list[str]) -> tuple[int, str]:
    parser = argparse.ArgumentParser(prog="buddymatch")
    commands = add_commands(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    out = io.StringIO()
    code = commands[args.command](args, Console(file=out, width=160, no_color=True))
    return code, out.getvalue()


def _cli_files(tmp: Path) -> list[Path]:
    paths = []
    for k, seed in enumerate((21, 22)):
        npath, lpath = gen.write_rosters(tmp, "rivierenland", 300, 260, seed, prefix=f"c{k}_")
        from buddymatch import read_locals, read_newcomers

        newcomers, locals_ = read_newcomers(npath).people, read_locals(lpath).people
        result = match(newcomers, locals_)
        rows = sim.simulate_outcomes(result, newcomers, locals_, sim.TRAVEL_AND_TIME, seed=seed)
        opath = sim.write_outcomes_csv(rows, tmp / f"c{k}_outcomes.csv")
        paths += [opath, npath, lpath]
    return paths


def test_cli_learn_writes_a_weights_file_that_reads_back(tmp_path: Path) -> None:
    o1, n1, l1, o2, n2, l2 = _cli_files(tmp_path)
    out = tmp_path / "learned.toml"
    code, text = _cli(
        ["learn", str(o1), "--newcomers", str(n1), "--locals", str(l1), "-o", str(out)]
    )
    assert code == 0, text
    back = Weights.from_toml(out)
    assert back.model.kind == "probability"
    assert all(np.isfinite(back.vector()))
    assert back.provenance["outcomes"] > 100 and "cv_auc" in back.provenance
    assert Weights.from_toml(out) == back
    assert "current beside learned" in text and "AUC" in text
    # no names or other personal cells in what the coordinator sees
    names = {r["name"] for r in gen.generate_rosters("rivierenland", 300, 260, 21)[0] if r["name"]}
    assert not any(name in text for name in names)

    # several cohorts, the documented form, and the current weights file
    out2 = tmp_path / "learned2.toml"
    code, text = _cli(
        ["learn", "--cohort", str(o1), str(n1), str(l1), "--cohort", str(o2), str(n2), str(l2),
         "--weights", str(out), "-o", str(out2)]
    )  # fmt: skip
    assert code == 0, text
    assert Weights.from_toml(out2).provenance["cohorts"] == 2


def test_cli_usage_errors_are_plain(tmp_path: Path) -> None:
    o1, n1, l1, *_ = _cli_files(tmp_path)
    with pytest.raises(ConfigError, match="--newcomers and --locals"):
        _cli(["learn", str(o1), "-o", str(tmp_path / "x.toml")])
    with pytest.raises(ConfigError, match="no outcomes given"):
        _cli(["learn", "-o", str(tmp_path / "x.toml")])
    with pytest.raises(ConfigError, match="file not found"):
        _cli(["learn", str(tmp_path / "nope.csv"), "--newcomers", str(n1), "--locals", str(l1),
              "-o", str(tmp_path / "x.toml")])  # fmt: skip


def test_cli_deviants(tmp_path: Path) -> None:
    o1, n1, l1, *_ = _cli_files(tmp_path)
    code, text = _cli(["deviants", str(o1), "--newcomers", str(n1), "--locals", str(l1)])
    assert code == 0, text
    assert "low chance" in text


# ---------------------------------------------------------------------------------------
# Exploration
# ---------------------------------------------------------------------------------------
def _assignment(seed: int) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    n, m = 40, 30
    score = rng.integers(0, 1000, (n, m))
    allowed = rng.random((n, m)) < 0.4
    pn, pl = np.nonzero(allowed)
    ps = score[pn, pl]
    capacity = rng.integers(1, 3, m)
    # optimal chosen set via the dense Hungarian method on local slots
    slots = np.repeat(np.arange(m), capacity)
    cost = np.where(allowed[:, slots], -score[:, slots], 10**6)
    rows, cols = linear_sum_assignment(cost)
    keep = cost[rows, cols] < 10**6
    index = {(a, b): k for k, (a, b) in enumerate(zip(pn, pl, strict=True))}
    chosen = np.array([index[(r, slots[c])] for r, c in zip(rows[keep], cols[keep], strict=True)])
    return pn, pl, ps, chosen, capacity


def test_explore_pairs_swaps_a_share_and_stays_valid() -> None:
    pn, pl, ps, chosen, capacity = _assignment(0)
    same = explore_pairs(pn, pl, ps, chosen, capacity, 0.0, seed=1)
    assert np.array_equal(same.chosen, np.sort(chosen)) and not same.swaps

    ex = explore_pairs(pn, pl, ps, chosen, capacity, 0.3, seed=1)
    assert ex.swaps
    assert len(ex.chosen) == len(chosen)
    assert len(set(pn[ex.chosen].tolist())) == len(chosen)  # each newcomer once
    assert set(pn[ex.chosen].tolist()) == set(pn[chosen].tolist())  # nobody loses a pair
    assert np.all(np.bincount(pl[ex.chosen], minlength=len(capacity)) <= capacity)
    lost = int(ps[chosen].sum() - ps[ex.chosen].sum())
    assert lost == sum(s.score_lost for s in ex.swaps) >= 0  # from an optimum: never a gain
    changed = (set(zip(pn[chosen], pl[chosen], strict=True))
               ^ set(zip(pn[ex.chosen], pl[ex.chosen], strict=True)))  # fmt: skip
    assert 0 < len(changed) // 2 <= round(0.3 * len(chosen)) + 1
    again = explore_pairs(pn, pl, ps, chosen, capacity, 0.3, seed=1)
    assert np.array_equal(again.chosen, ex.chosen)
    with pytest.raises(ConfigError):
        explore_pairs(pn, pl, ps, chosen, capacity, 1.5)
