"""buddymatch: pairs newcomers with local volunteer buddies.

Read rosters, match them, and explain every pair and every newcomer left waiting::

    import buddymatch

    newcomers = buddymatch.read_newcomers("newcomers.csv")
    locals_ = buddymatch.read_locals("locals.csv")
    result = buddymatch.match(newcomers.people, locals_.people)
"""

import typing as _typing

from buddymatch._errors import BuddymatchError, ConfigError, Problem, RosterError, SolverRefusal
from buddymatch._match import PairRequest, match
from buddymatch._monitor import MonitorReport, monitor
from buddymatch._profiles import Local, Newcomer
from buddymatch._read import Roster, read_locals, read_newcomers, read_outcomes, read_pairs
from buddymatch._report import write_match_report
from buddymatch._report_leads import write_monitor_report, write_whatif_report
from buddymatch._result import MatchResult, Pair, Unmatched
from buddymatch._scenarios import run_scenarios
from buddymatch._weights import Weights
from buddymatch._write import write_matches

__version__ = "0.1.0"

if _typing.TYPE_CHECKING:
    from buddymatch._learning import (
        Cohort,
        LearnReport,
        WeightLearner,
        find_deviants,
        learn_weights,
    )

_LAZY = {"Cohort", "LearnReport", "WeightLearner", "find_deviants", "learn_weights"}


def __getattr__(name: str) -> _typing.Any:
    """Learning pulls in scikit-learn (a second to import): load it on first use only."""
    if name in _LAZY:
        from buddymatch import _learning

        return getattr(_learning, name)
    raise AttributeError(f"module 'buddymatch' has no attribute {name!r}")


__all__ = [
    "BuddymatchError",
    "Cohort",
    "ConfigError",
    "LearnReport",
    "Local",
    "MatchResult",
    "MonitorReport",
    "Newcomer",
    "Pair",
    "PairRequest",
    "Problem",
    "Roster",
    "RosterError",
    "SolverRefusal",
    "Unmatched",
    "WeightLearner",
    "Weights",
    "__version__",
    "find_deviants",
    "learn_weights",
    "match",
    "monitor",
    "read_locals",
    "read_newcomers",
    "read_outcomes",
    "read_pairs",
    "run_scenarios",
    "write_match_report",
    "write_matches",
    "write_monitor_report",
    "write_whatif_report",
]
