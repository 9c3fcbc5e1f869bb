"""Reasons in plain words: why a newcomer is still waiting.

The hard rules are checked in a fixed order (reach, language, free time, when transport
runs, gender preference, the forbidden list); the first rule that leaves a newcomer with no
local at all is the reason. A newcomer who had workable locals is waiting because all of
them were paired with others.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from buddymatch._pool import Pool, Vocabulary
from buddymatch._result import Unmatched, UnmatchedCode
from buddymatch._vocab import MODE_PHRASES, MODE_WORDS, MODES, Level
from buddymatch._weights import Weights


def _join_or(words: Sequence[str]) -> str:
    words = list(words)
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " or " + words[-1]


def _modes(pool: Pool, i: int) -> str:
    return _join_or([MODE_PHRASES[m] for b, m in enumerate(MODES) if (pool.modes[i] >> b) & 1])


def _locals(n: int) -> str:
    return "1 local" if n == 1 else f"{n} locals"


def _limited_modes(pool: Pool, i: int, weights: Weights) -> list[str]:
    """The newcomer's modes that run only at some times, described."""
    out = []
    for b, m in enumerate(MODES):
        if (pool.modes[i] >> b) & 1 and weights.mode(m).runs != "all":
            out.append(MODE_WORDS[m])
    return out


def explain_unmatched(
    i: int,
    newcomers: Pool,
    vocab: Vocabulary,
    weights: Weights,
    counts: dict[str, NDArray[np.int64]],
    workable: NDArray[np.int64],
    worth: NDArray[np.int64],
    workable_locals: Sequence[str],
    objective: str = "count",
) -> Unmatched:
    """The reason newcomer ``i`` is unmatched.

    ``counts`` are the per-stage survivor counts from ``_pairs.stage_counts``; ``workable``
    counts locals left after the forbidden list, ``worth`` those whose pair is worth making
    under the objective; ``workable_locals`` are the ids of those locals.
    """
    min_level = Level(weights.rules.min_shared_level)
    speaks = [vocab.languages[c] for c in np.flatnonzero(newcomers.levels[i] >= int(min_level))]
    within = f"within {newcomers.max_travel[i]:g} min {_modes(newcomers, i)}"
    langs = f"{_join_or(speaks)} at {min_level.label} or above"
    code: UnmatchedCode
    if not speaks:
        code, text = (
            "no_language",
            (
                f"no language given at {min_level.label} or above, so no conversation is possible "
                "with any local"
            ),
        )
    elif counts["reach"][i] == 0:
        code, text = "reach", f"no local {within}"
    elif counts["language"][i] == 0:
        code, text = "language", f"no local {within} who speaks {langs}"
    elif counts["time"][i] == 0:
        n = int(counts["language"][i])
        tail = (
            "they have no free time in common"
            if n == 1
            else "none of them has free time in common with this newcomer"
        )
        code, text = (
            "time",
            (f"{_locals(n)} {within} {'speaks' if n == 1 else 'speak'} {langs}, but {tail}"),
        )
    elif counts["transport_runs"][i] == 0:
        n = int(counts["time"][i])
        limited = _limited_modes(newcomers, i, weights)
        why = f" ({_join_or(limited)} only run at some times)" if limited else ""
        code, text = (
            "transport_runs",
            (
                f"{_locals(n)} {'fits' if n == 1 else 'fit'} on language and free time, but no "
                f"way of travelling between them runs in the free time they share{why}"
            ),
        )
    elif counts["gender"][i] == 0:
        n = int(counts["transport_runs"][i])
        code, text = (
            "gender",
            (
                f"{'the only local' if n == 1 else f'all {n} locals'} who "
                f"{'fits' if n == 1 else 'fit'} otherwise "
                f"{'is' if n == 1 else 'are'} ruled out by the gender preference"
            ),
        )
    elif workable[i] == 0:
        code, text = "forbidden", "every workable local is on the forbidden list for this newcomer"
    elif worth[i] == 0:
        code, text = (
            "not_worth",
            ("every workable pair would score 0 or below, and the objective is the total score"),
        )
    else:
        shown = ", ".join(workable_locals[:5]) + (" …" if len(workable_locals) > 5 else "")
        n = int(worth[i])
        code, text = (
            "taken",
            (
                (
                    f"the only workable local ({shown}) is"
                    if n == 1
                    else f"all {n} workable locals ({shown}) are"
                )
                + " paired with other newcomers"
                + (
                    "; no other choice matches more people"
                    if objective == "count"
                    else "; this gives the highest total score"
                )
            ),
        )
    return Unmatched(newcomers.ids[i], code, text)
