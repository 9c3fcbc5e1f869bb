"""Reasons in plain words: why a newcomer is still waiting.

The hard rules are checked in a fixed order (reach, language, free time, when transport
runs, gender preference, the forbidden list); the first rule that leaves a newcomer with no
local at all is the reason. A newcomer who had workable locals is waiting because all of
them were paired with others.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from numpy.typing import NDArray

from buddymatch._pairs import STAGES
from buddymatch._pool import Pool, Vocabulary
from buddymatch._result import Unmatched, UnmatchedCode
from buddymatch._vocab import MODE_PHRASES, MODE_WORDS, MODES, Level
from buddymatch._weights import Weights


def _join_or(words: Sequence[str], last: str = "or") -> str:
    """ "a, b or c" (or with ``last="and"``: "a, b and c")."""
    words = list(words)
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + f" {last} " + words[-1]


def _modes(mask: int) -> str:
    """The travel modes of a bitmask as a phrase: "on foot or by bike"."""
    return _join_or([MODE_PHRASES[m] for b, m in enumerate(MODES) if (mask >> b) & 1])


def _the_locals(n: int) -> str:
    """ "the only local", "both locals", "all 5 locals"."""
    return "the only local" if n == 1 else "both locals" if n == 2 else f"all {n} locals"


def _locals(n: int) -> str:
    return "1 local" if n == 1 else f"{n} locals"


def _limited_modes(mask: int, weights: Weights) -> str:
    """The modes of a bitmask that run only at some times, as a clause ("the village car
    runs only at some times"); "" when all of them run at any time."""
    words = [
        MODE_WORDS[m] if m == "public_transport" else f"the {MODE_WORDS[m]}"
        for b, m in enumerate(MODES)
        if (mask >> b) & 1 and weights.mode(m).runs != "all"
    ]
    if not words:
        return ""
    return f"{_join_or(words, 'and')} {'runs' if len(words) == 1 else 'run'} only at some times"


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
    (out,) = explain_waiting(
        [i], newcomers, vocab, weights, counts, workable, worth, [workable_locals], objective
    )
    return out


def explain_waiting(
    who: Sequence[int] | NDArray[np.int64],
    newcomers: Pool,
    vocab: Vocabulary,
    weights: Weights,
    counts: Mapping[str, NDArray[np.int64]],
    workable: NDArray[np.int64],
    worth: NDArray[np.int64],
    workable_locals: Sequence[Sequence[str]],
    objective: str = "count",
) -> list[Unmatched]:
    """The reasons newcomers ``who`` are unmatched, in that order, as
    :func:`explain_unmatched` gives them (``workable_locals[k]`` are the ids of the workable
    locals of ``who[k]``).

    Thousands may wait at national scale, so the arrays are read as Python values once and
    what repeats (the minimum level, the phrase for each set of travel modes) is made once.
    """
    rows = np.asarray(who, dtype=np.int64)
    min_level = Level(weights.rules.min_shared_level)
    speaks: list[list[str]] = [[] for _ in range(len(rows))]
    row_of, column = np.nonzero(newcomers.levels[rows] >= int(min_level))
    for k, c in zip(row_of.tolist(), column.tolist(), strict=True):
        speaks[k].append(vocab.languages[c])
    modes = newcomers.modes[rows].tolist()
    gender_unknown = (newcomers.gender[rows] == 0).tolist()
    wants_same = newcomers.wants_same_gender[rows].tolist()
    phrase = {mask: _modes(mask) for mask in set(modes)}
    max_travel = newcomers.max_travel[rows].tolist()
    left = {stage: counts[stage][rows].tolist() for stage in STAGES}
    n_workable, n_worth = workable[rows].tolist(), worth[rows].tolist()
    level = min_level.label

    def within(k: int) -> str:
        return f"within {max_travel[k]:g} min {phrase[modes[k]]}"

    def langs(k: int) -> str:
        return f"{_join_or(speaks[k])} at {level} or above"

    out = []
    for k, i in enumerate(rows.tolist()):
        code: UnmatchedCode
        if not speaks[k]:
            code, text = (
                "no_language",
                (
                    f"no language given at {level} or above, so no conversation is possible "
                    "with any local"
                ),
            )
        elif left["reach"][k] == 0:
            code, text = "reach", f"no local {within(k)}"
        elif left["language"][k] == 0:
            code, text = "language", f"no local {within(k)} who speaks {langs(k)}"
        elif left["time"][k] == 0:
            n = left["language"][k]
            tail = (
                "they have no free time in common"
                if n == 1
                else "none of them has free time in common with this newcomer"
            )
            code, text = (
                "time",
                (
                    f"{_locals(n)} {within(k)} {'speaks' if n == 1 else 'speak'} {langs(k)}, "
                    f"but {tail}"
                ),
            )
        elif left["transport_runs"][k] == 0:
            n = left["time"][k]
            limited = _limited_modes(modes[k], weights)
            why = f" ({limited})" if limited else ""
            code, text = (
                "transport_runs",
                (
                    f"{_locals(n)} {'fits' if n == 1 else 'fit'} on language and free time, but "
                    f"no way of travelling between them runs in the free time they share{why}"
                ),
            )
        elif left["gender"][k] == 0:
            n = left["transport_runs"][k]
            code, text = (
                "gender",
                (
                    f"{_the_locals(n)} who {'fits' if n == 1 else 'fit'} otherwise "
                    f"{'is' if n == 1 else 'are'} ruled out by "
                    + (
                        "this newcomer's wish for a buddy of the same gender"
                        if wants_same[k]
                        else "their own wish for a buddy of the same gender"
                    )
                    + (
                        "; this newcomer's gender is not in the roster, and a same-gender "
                        "pair needs both genders"
                        if gender_unknown[k]
                        else ""
                    )
                ),
            )
        elif n_workable[k] == 0:
            code, text = (
                "forbidden",
                "every local who fits is on the forbidden list for this newcomer",
            )
        elif n_worth[k] == 0:
            code, text = (
                "not_worth",
                (
                    "every workable pair would score 0 or below, and the objective is the "
                    "total score"
                ),
            )
        else:
            ids = workable_locals[k]
            shown = ", ".join(ids[:5]) + (" …" if len(ids) > 5 else "")
            n = n_worth[k]
            code, text = (
                "taken",
                (
                    (
                        f"the only local who fits ({shown}) is already paired with another newcomer"
                        if n == 1
                        else f"{_the_locals(n)} who fit ({shown}) are already paired with "
                        "other newcomers"
                    )
                    + (
                        "; pairing differently would not match more people"
                        if objective == "count"
                        else "; this pairing gives the highest total score"
                    )
                ),
            )
        out.append(Unmatched(newcomers.ids[i], code, text))
    return out
