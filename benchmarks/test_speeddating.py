"""Real-data check: the weight learner on the speed-dating experiment (Fisman et al. 2006).

Why: the simulated worlds follow a logistic model by construction; real pairs do not. Here
the same learner code (``WeightLearner`` on generic named columns, and ``evaluate``) runs on
pair features known *before* each date, one row per undirected pair, outcome = both said
yes. It reports held-out AUC beside the no-skill baseline. The data is not shipped: the
test skips without ``../shared/data/speeddating/`` (or ``$BUDDYMATCH_SHARED/data/…``).
"""

from __future__ import annotations

import csv
import os
from pathlib import Path

import numpy as np
import pytest

from buddymatch._learning import WeightLearner, evaluate

REPO = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("BUDDYMATCH_SHARED", REPO.parent / "shared"))
DATA = SHARED / "data" / "speeddating" / "speed_dating_data.csv"
INTERESTS = [
    "sports",
    "tvsports",
    "exercise",
    "dining",
    "museums",
    "art",
    "hiking",
    "gaming",
    "clubbing",
    "reading",
    "tv",
    "theater",
    "movies",
    "concerts",
    "music",
    "shopping",
    "yoga",
]
NAMES = (
    "interest_correlation",
    "interest_distance",
    "age_gap_decades",
    "same_race",
    "same_field",
    "same_goal",
    "go_out_gap",
    "date_gap",
)


def _num(text: str) -> float:
    text = text.replace(",", "").strip()
    return float(text) if text else np.nan


def pair_features(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Pre-date features per undirected pair (each date has a row from both sides)."""
    with path.open(encoding="latin-1", newline="") as fh:
        rows = list(csv.DictReader(fh))
    person: dict[str, dict[str, float]] = {}
    for r in rows:
        cols = ("age", "field_cd", "goal", "go_out", "date", "race", *INTERESTS)
        person.setdefault(r["iid"], {c: _num(r[c]) for c in cols})
    x, y = [], []
    for r in rows:
        a, b = r["iid"], r["pid"].split(".")[0]
        if not b or b not in person or not int(a) < int(b):
            continue  # keep one row per pair (the lower id's side)
        p, q = person[a], person[b]
        ia = np.array([p[c] for c in INTERESTS])
        ib = np.array([q[c] for c in INTERESTS])
        x.append(
            [
                _num(r["int_corr"]),
                float(np.nanmean(np.abs(ia - ib))) if np.isfinite(ia - ib).any() else np.nan,
                abs(p["age"] - q["age"]) / 10.0,
                _num(r["samerace"]),
                float(p["field_cd"] == q["field_cd"]),
                float(p["goal"] == q["goal"]),
                abs(p["go_out"] - q["go_out"]),
                abs(p["date"] - q["date"]),
            ]
        )
        y.append(int(_num(r["match"])))
    arr = np.array(x, dtype=np.float64)
    medians = np.nanmedian(arr, axis=0)
    arr = np.where(np.isnan(arr), medians[None, :], arr)  # a missing answer: the median
    return arr, np.array(y, dtype=np.int64)


@pytest.mark.skipif(not DATA.exists(), reason="speed-dating data not present (not shipped)")
def test_learner_beats_no_skill_on_speed_dating() -> None:
    x, y = pair_features(DATA)
    assert len(y) > 4000 and 0.1 < y.mean() < 0.25
    learner = WeightLearner(feature_names=NAMES, n_bootstrap=50, random_state=0).fit(x, y)
    assert learner.weights_ is None  # generic columns give coefficients, not a weights file
    ev = evaluate(learner, x, y, cv=5, random_state=0)
    learned = ev.scores["learned"]
    baseline = ev.scores["no-skill baseline"]
    print(f"\nspeed dating: {len(y)} pairs, {y.mean():.1%} matched, C = {learner.C_:g}")
    for name, s in ev.scores.items():
        print(f"  {name}: AUC {s.auc:.3f}, Brier {s.brier:.4f}")
    for name, c, sd in zip(NAMES, learner.coef_, learner.coef_sd_, strict=True):
        print(f"  {name}: {c:+.3f} ± {sd:.3f}")
    assert np.isfinite(learned.auc) and np.isfinite(learned.brier)
    assert baseline.auc == pytest.approx(0.5, abs=0.01)  # pooled out-of-fold priors
    assert learned.auc > 0.55
    assert learned.brier <= baseline.brier
