"""Learning weights from outcomes: which pair features predict meeting twice or more.

Why: every cohort's outcomes say what makes pairs last in *this* programme. The learner is
a small scikit-learn estimator: an L2-regularised logistic regression on standardised
features whose coefficients, mapped back to raw units (log-odds per minute, per shared
interest …), become the weights of a ``kind = "probability"`` weights file. Matching with
that file maximises the expected number of pairs who meet twice.

Choices, and why:

- **Logistic regression, C chosen by cross-validated log-loss.** Its coefficients *are*
  weights a coordinator can read and the matcher can use. A gradient boosting model
  (scikit-learn's ``GradientBoostingClassifier``, depth-2 trees) is scored on the same folds for
  comparison; on the simulated worlds and on the speed-dating data it did not generalise
  better (see the README), and it cannot be written as weights, so it is reported, not kept.
- **Refusal, not shrinkage,** when data is thin: fewer than ``min_outcomes`` outcomes, or
  fewer than ``min_per_class`` pairs that did (or did not) meet twice, raises
  ``ConfigError`` in plain words. Hand-set weights are not on a log-odds scale, so there is
  no principled prior to shrink toward; above the threshold, regularisation shrinks toward
  "no effect", and the held-out comparison shows whether the learned weights beat the
  current ones before anyone accepts them.
- **Hand-made pairs** (an outcome pair that breaks a hard rule) are kept; when no way of
  travelling works their travel time is counted as ``travel_cap`` minutes (120), and the
  report says how many there were.
- Weights are always finite: constant columns get weight 0, the L2 penalty keeps
  coefficients bounded, and a final check refuses anything else.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import warnings
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import expit
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.dummy import DummyClassifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import brier_score_loss, roc_auc_score
from sklearn.model_selection import StratifiedKFold
from sklearn.utils.validation import check_array, check_is_fitted, check_X_y
from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

from buddymatch import _features, _pairs
from buddymatch._errors import ConfigError, Problem, RosterError
from buddymatch._pool import Vocabulary, build_pool, sort_by_id
from buddymatch._profiles import Local, Newcomer
from buddymatch._read import Outcome, OutcomeTable, read_locals, read_newcomers, read_outcomes
from buddymatch._vocab import MODES
from buddymatch._weights import FEATURES, Weights

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
C_GRID: tuple[float, ...] = tuple(float(c) for c in np.logspace(-3, 2, 11))
TRAVEL_CAP_MIN = 120.0
METHOD = "logistic regression (L2, standardised features, C by cross-validated log-loss)"


def _fit_logistic(x: FloatArray, y: IntArray, c: float) -> tuple[FloatArray, float]:
    """Coefficients and intercept of an L2 logistic regression (convergence noise muted)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = LogisticRegression(C=c, max_iter=2000).fit(x, y)
    return np.asarray(model.coef_[0], dtype=np.float64), float(model.intercept_[0])


def _log_loss(y: IntArray, p: FloatArray) -> float:
    p = np.clip(p, 1e-12, 1.0 - 1e-12)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log1p(-p)))


def _folds(y: IntArray, cv: int, seed: int | None) -> list[tuple[IntArray, IntArray]]:
    """Stratified folds, fewer when a class is too small to fill ``cv`` of them."""
    k = min(cv, int(np.bincount(y, minlength=2).min()))
    if k < 2:
        return []
    splitter = StratifiedKFold(n_splits=k, shuffle=True, random_state=seed)
    return [(a.astype(np.int64), b.astype(np.int64)) for a, b in splitter.split(y, y)]


class WeightLearner(ClassifierMixin, BaseEstimator):  # type: ignore[misc]
    """Learns pair weights (log-odds per feature unit) from which pairs met twice.

    Parameters are stored untouched and checked in :meth:`fit` (scikit-learn convention).

    - ``C``: inverse L2 strength on standardised features, or ``"auto"`` (default) to pick
      it from a grid by cross-validated log-loss.
    - ``min_outcomes``, ``min_per_class``: below these, :meth:`fit` refuses (``ConfigError``).
    - ``cv``: folds for choosing C. ``n_bootstrap``: resamples for each weight's
      uncertainty (0 skips it). ``random_state``: seeds folds and resamples.
    - ``feature_names``: column names; default ``FEATURES`` for 7 columns, else ``x0`` ….
    - ``current_weights``: the weights file the learned one is based on (rules and travel
      settings are kept); only used when the columns are ``FEATURES``.

    Fitted: ``coef_`` and ``intercept_`` (raw units), ``coef_sd_`` (bootstrap SD or None),
    ``C_``, ``classes_``, ``n_features_in_``, ``feature_names_in_``, ``weights_`` (a
    probability-model :class:`Weights` when the columns are ``FEATURES``, else None).
    """

    def __init__(
        self,
        C: float | str = "auto",
        *,
        min_outcomes: int = 40,
        min_per_class: int = 10,
        cv: int = 5,
        n_bootstrap: int = 100,
        random_state: int | None = 0,
        feature_names: Sequence[str] | None = None,
        current_weights: Weights | None = None,
    ) -> None:
        self.C = C
        self.min_outcomes = min_outcomes
        self.min_per_class = min_per_class
        self.cv = cv
        self.n_bootstrap = n_bootstrap
        self.random_state = random_state
        self.feature_names = feature_names
        self.current_weights = current_weights

    def _check_params(self) -> None:
        c_ok = self.C == "auto" or (
            isinstance(self.C, int | float) and math.isfinite(self.C) and self.C > 0
        )
        if not c_ok:
            raise ValueError(f"C must be a positive number or 'auto', got {self.C!r}")
        for name in ("min_outcomes", "min_per_class", "n_bootstrap"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 0:
                raise ValueError(f"{name} must be a whole number ≥ 0, got {value!r}")
        if not isinstance(self.cv, int) or self.cv < 2:
            raise ValueError(f"cv must be a whole number ≥ 2, got {self.cv!r}")

    def _names(self, n_features: int) -> tuple[str, ...]:
        if self.feature_names is not None:
            names = tuple(str(n) for n in self.feature_names)
            if len(names) != n_features:
                raise ValueError(f"{len(names)} feature names for {n_features} columns")
            return names
        if n_features == len(FEATURES):
            return FEATURES
        return tuple(f"x{i}" for i in range(n_features))

    def _refuse_thin_data(self, y: IntArray) -> None:
        n = len(y)
        twice = int(y.sum())
        if n < self.min_outcomes:
            raise ConfigError(
                f"only {n} outcomes; at least {self.min_outcomes} are needed to learn "
                "weights. Keep the current weights and collect more outcomes."
            )
        if twice == 0 or twice == n:
            which = "met twice or more" if twice == n else "met fewer than twice"
            raise ConfigError(
                f"all {n} pairs {which}, so the outcomes cannot show what makes the "
                "difference. Keep the current weights."
            )
        fewest = min(twice, n - twice)
        if fewest < self.min_per_class:
            which = "met twice or more" if twice == fewest else "met fewer than twice"
            raise ConfigError(
                f"only {fewest} of {n} pairs {which}; at least {self.min_per_class} are "
                "needed on each side to learn weights. Keep the current weights."
            )

    def _choose_c(self, z: FloatArray, y: IntArray) -> float:
        if self.C != "auto":
            return float(self.C)
        folds = _folds(y, self.cv, self.random_state)
        if not folds:
            return 1.0
        losses = np.zeros(len(C_GRID))
        for train, test in folds:
            for i, c in enumerate(C_GRID):
                coef, b = _fit_logistic(z[train], y[train], c)
                p = expit(z[test] @ coef + b)
                losses[i] += _log_loss(y[test], p)
        # ties (within a rounding hair) go to the stronger penalty: the smaller C
        best = np.flatnonzero(losses <= losses.min() + 1e-9)[0]
        return C_GRID[int(best)]

    def fit(self, X: ArrayLike, y: ArrayLike) -> WeightLearner:
        """Fit on features ``X`` (pairs × features, raw units) and outcomes ``y`` (0/1).

        One BLAS/OpenMP thread: these problems are small, and on a busy 2-core machine
        extra threads made each fit about five times slower.
        """
        with threadpool_limits(limits=1):
            return self._fit(X, y)

    def _fit(self, X: ArrayLike, y: ArrayLike) -> WeightLearner:
        self._check_params()
        x_arr, y_raw = check_X_y(X, y, dtype=np.float64, y_numeric=False)
        classes = np.unique(y_raw)
        if len(classes) > 2:
            raise ValueError("outcomes must have two values (met twice or not)")
        if len(classes) == 2:
            y_arr = (y_raw == classes[-1]).astype(np.int64)
        else:  # one kind only (refused below): positive when that kind is 1/True
            y_arr = np.full(len(y_raw), int(len(classes) == 1 and bool(classes[0])), np.int64)
        self._refuse_thin_data(y_arr)
        self.classes_ = classes
        self.n_features_in_ = x_arr.shape[1]
        self.feature_names_in_ = np.array(self._names(x_arr.shape[1]), dtype=object)

        mean = x_arr.mean(axis=0)
        scale = x_arr.std(axis=0)
        constant = ~(scale > 1e-9 * np.maximum(1.0, np.abs(mean)))
        scale = np.where(constant, 1.0, scale)
        z = (x_arr - mean) / scale
        z[:, constant] = 0.0

        self.C_ = self._choose_c(z, y_arr)
        coef_z, b_z = _fit_logistic(z, y_arr, self.C_)
        coef_z[constant] = 0.0
        coef = coef_z / scale
        intercept = b_z - float(coef @ mean)
        if not (np.all(np.isfinite(coef)) and math.isfinite(intercept)):
            raise ConfigError(
                "the learned weights are not finite numbers (the features are too extreme "
                "to learn from); keep the current weights"
            )
        self.coef_ = coef
        self.intercept_ = intercept
        self.coef_sd_ = self._bootstrap(z, y_arr, scale, constant)
        self.weights_ = self._as_weights()
        return self

    def _bootstrap(
        self, z: FloatArray, y: IntArray, scale: FloatArray, constant: NDArray[np.bool_]
    ) -> FloatArray | None:
        """Standard deviation of each raw-unit weight over seeded bootstrap resamples."""
        if self.n_bootstrap == 0:
            return None
        rng = np.random.default_rng(self.random_state)
        draws = []
        for _ in range(self.n_bootstrap):
            idx = rng.integers(0, len(y), len(y))
            if y[idx].min() == y[idx].max():
                continue
            coef_z, _ = _fit_logistic(z[idx], y[idx], self.C_)
            draws.append(np.where(constant, 0.0, coef_z) / scale)
        if len(draws) < 2:
            return None
        return np.asarray(np.std(np.array(draws), axis=0, ddof=1), dtype=np.float64)

    def _as_weights(self) -> Weights | None:
        if tuple(self.feature_names_in_) != FEATURES:
            return None
        base = self.current_weights or Weights.default()
        return base.updated(
            {
                "weights": {f: float(c) for f, c in zip(FEATURES, self.coef_, strict=True)},
                "model": {"kind": "probability", "intercept": float(self.intercept_)},
                "provenance": {},
            }
        )

    def decision_function(self, X: ArrayLike) -> FloatArray:
        """Log-odds of meeting twice per row."""
        check_is_fitted(self, "coef_")
        x_arr = check_array(X, dtype=np.float64)
        if x_arr.shape[1] != self.n_features_in_:
            raise ValueError(f"X has {x_arr.shape[1]} columns, expected {self.n_features_in_}")
        return np.asarray(x_arr @ self.coef_ + self.intercept_, dtype=np.float64)

    def predict_proba(self, X: ArrayLike) -> FloatArray:
        """Columns: chance of not meeting twice, chance of meeting twice."""
        p = expit(self.decision_function(X))
        return np.column_stack([1.0 - p, p])

    def predict(self, X: ArrayLike) -> NDArray[Any]:
        check_is_fitted(self, "coef_")
        hit = self.predict_proba(X)[:, 1] >= 0.5
        return np.asarray(np.where(hit, self.classes_[-1], self.classes_[0]))


# ---------------------------------------------------------------------------------------
# Held-out evaluation
# ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Scores:
    """Held-out quality of one way of predicting: AUC (0.5 = no skill), Brier, log-loss."""

    auc: float
    brier: float
    log_loss: float


@dataclass(frozen=True)
class CalibrationBin:
    """Pairs whose predicted chance fell in [low, high]: predicted vs observed share."""

    low: float
    high: float
    pairs: int
    predicted: float
    observed: float


@dataclass(frozen=True)
class Evaluation:
    """Out-of-fold predictions and scores for the learned model and its rivals."""

    scores: dict[str, Scores]
    calibration: tuple[CalibrationBin, ...]
    oof_probability: FloatArray = field(repr=False)


def _scores(y: IntArray, p: FloatArray) -> Scores:
    p = np.clip(p, 1e-12, 1 - 1e-12)
    return Scores(
        auc=float(roc_auc_score(y, p)),
        brier=float(brier_score_loss(y, p)),
        log_loss=_log_loss(y, p),
    )


def calibration_table(y: IntArray, p: FloatArray, bins: int = 5) -> tuple[CalibrationBin, ...]:
    """Quantile bins of predicted chance, each with its mean prediction and observed share."""
    edges = np.unique(np.quantile(p, np.linspace(0.0, 1.0, bins + 1)))
    which = np.clip(np.searchsorted(edges, p, side="right") - 1, 0, max(len(edges) - 2, 0))
    out = []
    for b in range(max(len(edges) - 1, 1)):
        mask = which == b
        if mask.any():
            out.append(
                CalibrationBin(
                    low=float(p[mask].min()),
                    high=float(p[mask].max()),
                    pairs=int(mask.sum()),
                    predicted=float(p[mask].mean()),
                    observed=float(y[mask].mean()),
                )
            )
    return tuple(out)


def evaluate(
    learner: WeightLearner,
    X: ArrayLike,
    y: ArrayLike,
    current_score: ArrayLike | None = None,
    *,
    cv: int = 5,
    random_state: int | None = 0,
    alternatives: bool = True,
) -> Evaluation:
    """Cross-validated comparison: learned vs current weights vs no skill (vs alternatives).

    The current weights' score is turned into a chance by a one-feature logistic fitted on
    the training folds only, so its AUC and Brier compare fairly with the learned model's.
    ``alternatives`` adds gradient boosting and an untuned logistic (C = 1) for comparison.
    """
    with threadpool_limits(limits=1):
        return _evaluate(learner, X, y, current_score, cv, random_state, alternatives)


def _evaluate(
    learner: WeightLearner,
    X: ArrayLike,
    y: ArrayLike,
    current_score: ArrayLike | None,
    cv: int,
    random_state: int | None,
    alternatives: bool,
) -> Evaluation:
    from sklearn.ensemble import GradientBoostingClassifier

    x_arr, y_raw = check_X_y(X, y, dtype=np.float64)
    y_arr = (y_raw == np.unique(y_raw)[-1]).astype(np.int64)
    folds = _folds(y_arr, cv, random_state)
    if not folds:
        raise ConfigError("too few pairs on one side to compare models on held-out outcomes")
    score = None if current_score is None else np.asarray(current_score, dtype=np.float64)
    names = ["learned", "no-skill baseline"]
    if score is not None:
        names.insert(1, "current weights")
    if alternatives:
        names += ["gradient boosting", "logistic, C = 1"]
    oof = {n: np.zeros(len(y_arr)) for n in names}
    fold_learner = clone(learner).set_params(n_bootstrap=0, min_outcomes=0, min_per_class=1)
    for train, test in folds:
        xt, yt = x_arr[train], y_arr[train]
        oof["learned"][test] = fold_learner.fit(xt, yt).predict_proba(x_arr[test])[:, 1]
        dummy = DummyClassifier(strategy="prior").fit(xt, yt)
        oof["no-skill baseline"][test] = dummy.predict_proba(x_arr[test])[:, 1]
        if score is not None:
            s_mean, s_sd = score[train].mean(), score[train].std() or 1.0
            coef, b = _fit_logistic(((score[train] - s_mean) / s_sd)[:, None], yt, 100.0)
            oof["current weights"][test] = expit((score[test] - s_mean) / s_sd * coef[0] + b)
        if alternatives:
            gb = GradientBoostingClassifier(
                n_estimators=150,
                max_depth=2,
                learning_rate=0.05,
                subsample=0.8,
                random_state=random_state,
            )
            oof["gradient boosting"][test] = gb.fit(xt, yt).predict_proba(x_arr[test])[:, 1]
            fixed = clone(fold_learner).set_params(C=1.0)
            oof["logistic, C = 1"][test] = fixed.fit(xt, yt).predict_proba(x_arr[test])[:, 1]
    return Evaluation(
        scores={n: _scores(y_arr, p) for n, p in oof.items()},
        calibration=calibration_table(y_arr, oof["learned"]),
        oof_probability=oof["learned"],
    )


# ---------------------------------------------------------------------------------------
# Cohorts: outcomes joined to the same pair features that matching uses
# ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Cohort:
    """One cohort's outcomes with the rosters its pairs were made from."""

    outcomes: OutcomeTable
    newcomers: Sequence[Newcomer]
    locals: Sequence[Local]
    roster_problems: tuple[Problem, ...] = ()

    @classmethod
    def from_files(
        cls,
        outcomes: str | Path,
        newcomers: str | Path,
        locals_: str | Path,
        *,
        sheet: str | None = None,
    ) -> Cohort:
        """Read the three files; an outcomes file with problems raises ``RosterError``.

        Roster rows with problems are left out and kept in ``roster_problems``; an outcome
        that names one of them is then a located error (no outcome is dropped silently).
        """
        table = read_outcomes(outcomes, sheet=sheet)
        table.raise_if_problems()
        n = read_newcomers(newcomers, sheet=sheet)
        loc = read_locals(locals_, sheet=sheet)
        return cls(table, n.people, loc.people, (*n.problems, *loc.problems))


@dataclass(frozen=True)
class PairDetails:
    """Features and readable details of outcome pairs, in outcome order."""

    features: FloatArray  # travel capped at the travel cap where no mode works
    met_twice: IntArray
    feasible: NDArray[np.bool_]
    no_travel: NDArray[np.bool_]  # no way of travelling worked (travel was capped)
    language: tuple[str | None, ...]
    mode: tuple[str | None, ...]
    shared_interests: tuple[tuple[str, ...], ...]
    newcomer_ids: tuple[str, ...]
    local_ids: tuple[str, ...]
    rows: tuple[int, ...]
    sources: tuple[str, ...]


def _missing_id_problems(cohort: Cohort) -> list[Problem]:
    newcomer_ids = {p.id for p in cohort.newcomers}
    local_ids = {p.id for p in cohort.locals}
    source = cohort.outcomes.source
    problems = []
    seen: dict[tuple[str, str], int] = {}
    for o in cohort.outcomes.outcomes:
        for column, value, known, side in (
            ("newcomer_id", o.newcomer_id, newcomer_ids, "newcomers"),
            ("local_id", o.local_id, local_ids, "locals"),
        ):
            if value not in known:
                problems.append(
                    Problem(
                        source,
                        o.row,
                        column,
                        f"this id is not among the accepted rows of this cohort's {side} roster",
                        f"an id from the {side} file given with {source}",
                        value,
                    )
                )
        key = (o.newcomer_id, o.local_id)
        if key in seen:
            problems.append(
                Problem(
                    source,
                    o.row,
                    "local_id",
                    f"this pair already has an outcome in row {seen[key]}",
                    "one outcome row per pair",
                    o.local_id,
                )
            )
        seen.setdefault(key, o.row)
    return problems


def _details_one(
    cohort: Cohort, weights: Weights, travel_cap: float
) -> tuple[FloatArray, NDArray[np.bool_], NDArray[np.bool_], list[Any]]:
    """The same pool, rule and feature code as ``_match.features_for_pairs``, plus details."""
    vocab = Vocabulary.of(cohort.newcomers, cohort.locals)
    npool = build_pool(sort_by_id(cohort.newcomers), vocab)
    lpool = build_pool(sort_by_id(cohort.locals), vocab)
    nidx = {k: i for i, k in enumerate(npool.ids)}
    lidx = {k: i for i, k in enumerate(lpool.ids)}
    outcomes: list[Outcome] = cohort.outcomes.outcomes
    n = np.array([nidx[o.newcomer_id] for o in outcomes], dtype=np.int64)
    m = np.array([lidx[o.local_id] for o in outcomes], dtype=np.int64)
    checks = _pairs.check_pairs(npool, lpool, n, m, weights)
    feats, shared = _features.feature_matrix(checks, npool, lpool, vocab, weights)
    col = FEATURES.index("travel")
    no_travel = ~np.isfinite(feats[:, col])
    feats[:, col] = np.where(no_travel, travel_cap, np.minimum(feats[:, col], travel_cap))
    feats = np.nan_to_num(feats, nan=0.0, posinf=0.0, neginf=0.0)
    details = [
        (
            vocab.languages[int(checks.best_language[k])] if checks.best_language[k] >= 0 else None,
            MODES[int(checks.travel_mode[k])] if checks.travel_mode[k] >= 0 else None,
            tuple(sorted(vocab.tags[c] for c in shared.getrow(k).indices)),
        )
        for k in range(len(outcomes))
    ]
    return feats, checks.feasible, no_travel, details


def pair_details(
    cohorts: Sequence[Cohort], weights: Weights, *, travel_cap: float = TRAVEL_CAP_MIN
) -> PairDetails:
    """Join every cohort's outcomes to their pair features; unknown ids are located errors."""
    problems = [p for c in cohorts for p in _missing_id_problems(c)]
    if problems:
        raise RosterError(problems)
    parts = [_details_one(c, weights, travel_cap) for c in cohorts]
    outcomes = [(c.outcomes.source, o) for c in cohorts for o in c.outcomes.outcomes]
    details = [d for part in parts for d in part[3]]
    width = len(FEATURES)
    return PairDetails(
        features=np.vstack([p[0] for p in parts]) if parts else np.zeros((0, width)),
        met_twice=np.array([o.met_twice for _, o in outcomes], dtype=np.int64),
        feasible=np.concatenate([p[1] for p in parts]) if parts else np.zeros(0, bool),
        no_travel=np.concatenate([p[2] for p in parts]) if parts else np.zeros(0, bool),
        language=tuple(d[0] for d in details),
        mode=tuple(d[1] for d in details),
        shared_interests=tuple(d[2] for d in details),
        newcomer_ids=tuple(o.newcomer_id for _, o in outcomes),
        local_ids=tuple(o.local_id for _, o in outcomes),
        rows=tuple(o.row for _, o in outcomes),
        sources=tuple(s for s, _ in outcomes),
    )


# ---------------------------------------------------------------------------------------
# The report and learn_weights
# ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class WeightChange:
    """One weight: current value, learned value (log-odds per unit) and its uncertainty."""

    feature: str
    old: float
    new: float
    uncertainty: float | None


def _key(name: str) -> str:
    """A TOML-friendly key: "no-skill baseline" → "no_skill_baseline"."""
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


@dataclass(frozen=True)
class LearnReport:
    """What was learned and how well it predicts, for the coordinator's review."""

    outcomes_used: int
    cohorts: int
    share_met_twice: float
    hand_made_pairs: int
    capped_travel: int
    C: float
    cv_auc: float
    cv_brier: float
    comparison: dict[str, Scores]
    calibration: tuple[CalibrationBin, ...]
    weights: tuple[WeightChange, ...]
    intercept: float
    current_kind: str

    def provenance(self, version: str) -> dict[str, Any]:
        """The ``[provenance]`` table written into the learned weights file."""

        def r(x: float) -> float:
            return round(x, 4)

        return {
            "learned_on": dt.date.today().isoformat(),
            "buddymatch_version": version,
            "method": METHOD,
            "C": r(self.C),
            "outcomes": self.outcomes_used,
            "cohorts": self.cohorts,
            "share_met_twice": r(self.share_met_twice),
            "hand_made_pairs": self.hand_made_pairs,
            "cv_auc": r(self.cv_auc),
            "cv_brier": r(self.cv_brier),
            "held_out_auc": {_key(k): r(v.auc) for k, v in self.comparison.items()},
            "held_out_brier": {_key(k): r(v.brier) for k, v in self.comparison.items()},
            "uncertainty": {
                w.feature: r(w.uncertainty) for w in self.weights if w.uncertainty is not None
            },
        }

    def lines(self) -> list[str]:
        """The report in plain words (ids and numbers only, no personal data)."""
        out = [
            f"{self.outcomes_used} outcomes from {self.cohorts} cohort(s); "
            f"{self.share_met_twice:.0%} of pairs met twice or more.",
        ]
        if self.hand_made_pairs:
            out.append(
                f"{self.hand_made_pairs} pair(s) break a hard rule (made by hand); they are "
                f"used, and {self.capped_travel} with no workable travel count as "
                f"{TRAVEL_CAP_MIN:g} min."
            )
        out.append(
            f"Held-out (cross-validated) AUC {self.cv_auc:.3f} (0.5 = no better than "
            f"chance), Brier score {self.cv_brier:.3f} (lower is better)."
        )
        for name, s in self.comparison.items():
            out.append(f"  {name}: AUC {s.auc:.3f}, Brier {s.brier:.3f}")
        cur = self.comparison.get("current weights")
        if cur is not None:
            verdict = "better" if self.cv_auc > cur.auc else "not better"
            out.append(
                f"The learned weights rank held-out pairs {verdict} than the current weights."
            )
        return out


def learn_weights(
    cohorts: Sequence[Cohort],
    current: Weights | None = None,
    *,
    learner: WeightLearner | None = None,
    travel_cap: float = TRAVEL_CAP_MIN,
) -> tuple[Weights, LearnReport]:
    """Learn a probability-model weights file from one or more cohorts' outcomes.

    Features are computed with ``current``'s rules and travel settings (which the learned
    file keeps). Raises ``RosterError`` for outcome ids not in their cohort's rosters and
    ``ConfigError`` when there are too few outcomes or only one kind.
    """
    from buddymatch import __version__

    current = current or Weights.default()
    if not cohorts:
        raise ConfigError("no outcomes given; name at least one outcomes file")
    details = pair_details(cohorts, current, travel_cap=travel_cap)
    base = learner if learner is not None else WeightLearner()
    est = clone(base).set_params(current_weights=current, feature_names=None)
    est.fit(details.features, details.met_twice)
    current_score = details.features @ np.asarray(current.vector())
    ev = evaluate(
        est, details.features, details.met_twice, current_score, random_state=est.random_state
    )
    sd = est.coef_sd_
    report = LearnReport(
        outcomes_used=len(details.met_twice),
        cohorts=len(cohorts),
        share_met_twice=float(details.met_twice.mean()),
        hand_made_pairs=int((~details.feasible).sum()),
        capped_travel=int(details.no_travel.sum()),
        C=float(est.C_),
        cv_auc=ev.scores["learned"].auc,
        cv_brier=ev.scores["learned"].brier,
        comparison=ev.scores,
        calibration=ev.calibration,
        weights=tuple(
            WeightChange(f, float(o), float(n), None if sd is None else float(sd[i]))
            for i, (f, o, n) in enumerate(zip(FEATURES, current.vector(), est.coef_, strict=True))
        ),
        intercept=float(est.intercept_),
        current_kind=current.model.kind,
    )
    weights = est.weights_.updated({"provenance": report.provenance(__version__)})
    assert all(math.isfinite(v) for v in weights.vector())
    return weights, report


# ---------------------------------------------------------------------------------------
# Positive deviants
# ---------------------------------------------------------------------------------------
_FEATURE_WORDS = {
    "language": ("shared language level (0–1)", 1),
    "dutch_practice": ("share with Dutch practice", 1),
    "travel": ("travel minutes", -1),
    "interests": ("shared-interest score", 1),
    "common_slots": ("common free time (0–1)", 1),
    "age_gap": ("age gap in decades", -1),
    "household_fit": ("household fit (0–1)", 1),
}


@dataclass(frozen=True)
class Deviant:
    """A pair that met twice or more although the model gave it a low chance."""

    newcomer_id: str
    local_id: str
    source: str
    row: int
    probability: float


@dataclass(frozen=True)
class DeviantReport:
    """Positive deviants and what sets them apart from other low-chance pairs."""

    threshold: float
    low_chance_pairs: int
    deviants: tuple[Deviant, ...]
    findings: tuple[str, ...]
    model: str


def _share_lines(
    label: str, dev: list[tuple[str, ...]], rest: list[tuple[str, ...]], top: int = 3
) -> list[str]:
    """Items over-represented among deviants, as "label x: 40% vs 10%" phrases."""
    if not dev:
        return []
    cd = Counter(t for items in dev for t in set(items))
    cr = Counter(t for items in rest for t in set(items))
    lift = sorted(
        ((cd[t] / len(dev) - cr[t] / max(len(rest), 1), t) for t in cd), key=lambda v: (-v[0], v[1])
    )
    return [
        f"{label} {t}: {cd[t] / len(dev):.0%} of deviants vs "
        f"{cr[t] / max(len(rest), 1):.0%} of other low-chance pairs"
        for d, t in lift[:top]
        if d > 0.05
    ]


def find_deviants(
    cohorts: Sequence[Cohort],
    weights: Weights | None = None,
    *,
    share: float = 0.25,
    learner: WeightLearner | None = None,
) -> DeviantReport:
    """Pairs that met twice although their predicted chance was in the lowest ``share``.

    The chance comes from ``weights`` when it is a probability model (learned weights);
    otherwise a model is learned from these same outcomes, with out-of-fold predictions so
    that no pair's own outcome lowers or raises its own predicted chance.
    """
    if not 0.0 < share < 1.0:
        raise ConfigError(f"the low-chance share must be between 0 and 1, got {share}")
    weights = weights or Weights.default()
    details = pair_details(cohorts, weights)
    x, y = details.features, details.met_twice
    if weights.model.kind == "probability":
        p = expit(x @ np.asarray(weights.vector()) + weights.model.intercept)
        model = "the given learned weights"
    else:
        est = clone(learner if learner is not None else WeightLearner()).set_params(n_bootstrap=0)
        est._check_params()
        est._refuse_thin_data(y)
        p = evaluate(est, x, y, alternatives=False).oof_probability
        model = "weights learned from these outcomes (held-out predictions)"
    threshold = float(np.quantile(p, share))
    low = p <= threshold
    dev = low & (y == 1)
    rest = low & (y == 0)
    deviants = tuple(
        sorted(
            (
                Deviant(
                    details.newcomer_ids[k],
                    details.local_ids[k],
                    details.sources[k],
                    details.rows[k],
                    float(p[k]),
                )
                for k in np.flatnonzero(dev)
            ),
            key=lambda d: (d.probability, d.source, d.row),
        )
    )
    findings: list[str] = []
    if dev.any() and rest.any():
        for j, f in enumerate(FEATURES):
            words, good = _FEATURE_WORDS[f]
            a, b = float(np.mean(x[dev, j])), float(np.mean(x[rest, j]))
            spread = float(np.std(x[low, j])) or 1.0
            if (a - b) / spread * good > 0.2:
                findings.append(f"{words}: {a:.2f} on average vs {b:.2f} for the others")
        idx_d, idx_r = np.flatnonzero(dev), np.flatnonzero(rest)
        lang = [(v,) if v else () for v in details.language]
        modes = [(v,) if v else () for v in details.mode]
        for label, items in (
            ("language", lang),
            ("travel by", modes),
            ("shared interest", list(details.shared_interests)),
        ):
            findings += _share_lines(label, [items[k] for k in idx_d], [items[k] for k in idx_r])
    elif dev.any():
        findings.append("every low-chance pair met twice or more")
    return DeviantReport(threshold, int(low.sum()), deviants, tuple(findings), model)


# ---------------------------------------------------------------------------------------
# Exploration
# ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Swap:
    """One explored change: a newcomer's local (pool indices) and the score given up.

    A partner swap between two pairs is two entries; the lost score is on the second.
    """

    newcomer: int
    old_local: int
    new_local: int
    score_lost: int


@dataclass(frozen=True)
class Exploration:
    """The explored set of chosen candidate pairs, and what was swapped."""

    chosen: IntArray
    swaps: tuple[Swap, ...]
    share: float
    seed: int


def explore_pairs(
    pair_newcomer: ArrayLike,
    pair_local: ArrayLike,
    pair_score: ArrayLike,
    chosen: ArrayLike,
    capacity: ArrayLike,
    share: float,
    seed: int = 0,
) -> Exploration:
    """Replace about ``share`` of the chosen pairs with their best near-optimal alternative.

    Why: outcomes exist only for pairs that were made, so learning from them can lock in
    today's weights. Exploring a small, seeded, recorded share of pairs shows what other
    pairs would have done, at a known cost in score (recorded per swap).

    For each newcomer drawn (seeded), the best other candidate pair is taken, either with a
    local who has room left, or by swapping partners with another explored-free chosen pair
    when both crossed pairs are candidates — whichever loses least total score. Newcomers
    without any alternative keep their pair. Each newcomer and local changes at most once.
    Inputs are candidate-pair arrays (as in ``AssignmentProblem``) and the indices of the
    chosen candidate pairs; the result keeps every newcomer matched that was matched.
    """
    if not 0.0 <= share <= 1.0:
        raise ConfigError(f"the exploration share must be between 0 and 1, got {share}")
    pn = np.asarray(pair_newcomer, dtype=np.int64)
    pl = np.asarray(pair_local, dtype=np.int64)
    ps = np.asarray(pair_score, dtype=np.int64)
    sel = np.asarray(chosen, dtype=np.int64).copy()
    room = np.asarray(capacity, dtype=np.int64).copy()
    np.subtract.at(room, pl[sel], 1)
    n_swaps = round(share * len(sel))
    if n_swaps == 0 or len(sel) == 0:
        return Exploration(sel, (), share, seed)
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(sel))
    key = {(int(a), int(b)): k for k, (a, b) in enumerate(zip(pn, pl, strict=True))}
    by_newcomer: dict[int, IntArray] = {}
    sorter = np.argsort(pn, kind="stable")
    bounds = np.searchsorted(pn[sorter], np.arange(int(pn.max()) + 2))
    for i in np.unique(pn[sel]):
        by_newcomer[int(i)] = sorter[bounds[i] : bounds[i + 1]]
    touched_n: set[int] = set()
    touched_l: set[int] = set()
    swaps: list[Swap] = []
    for pos in order:
        if len(swaps) >= n_swaps:
            break
        k = int(sel[pos])
        n, old = int(pn[k]), int(pl[k])
        if n in touched_n or old in touched_l:
            continue
        best: tuple[int, int, int | None, int | None] | None = None  # loss, new k, pos2, k2
        for alt in by_newcomer[n]:
            lj = int(pl[alt])
            if lj == old or lj in touched_l:
                continue
            if room[lj] > 0:
                loss = int(ps[k] - ps[alt])
                if best is None or loss < best[0]:
                    best = (loss, int(alt), None, None)
                continue
            # swap with a chosen pair of that local whose newcomer could take ``old``
            for pos2 in np.flatnonzero(pl[sel] == lj):
                k2 = int(sel[pos2])
                n2 = int(pn[k2])
                cross = key.get((n2, old))
                if n2 in touched_n or cross is None:
                    continue
                loss = int(ps[k] + ps[k2] - ps[alt] - ps[cross])
                if best is None or loss < best[0]:
                    best = (loss, int(alt), int(pos2), cross)
        if best is None:
            continue
        loss, alt_k, other_pos, cross = best
        new_local = int(pl[alt_k])
        sel[pos] = alt_k
        touched_n.add(n)
        touched_l.update((old, new_local))
        if other_pos is None:
            room[new_local] -= 1
            room[old] += 1
        else:
            assert cross is not None
            n2 = int(pn[sel[other_pos]])
            sel[other_pos] = cross
            touched_n.add(n2)
            swaps.append(Swap(n2, new_local, old, 0))
        swaps.append(Swap(n, old, new_local, loss))
    return Exploration(np.sort(sel), tuple(swaps), share, seed)


__all__ = [
    "C_GRID",
    "CalibrationBin",
    "Cohort",
    "Deviant",
    "DeviantReport",
    "Evaluation",
    "Exploration",
    "LearnReport",
    "PairDetails",
    "Scores",
    "Swap",
    "WeightChange",
    "WeightLearner",
    "calibration_table",
    "evaluate",
    "explore_pairs",
    "find_deviants",
    "learn_weights",
    "pair_details",
]
