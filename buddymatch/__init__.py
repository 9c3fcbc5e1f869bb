"""buddymatch: pairs newcomers with local volunteer buddies.

Read rosters, match them, and explain every pair and every newcomer left waiting::

    import buddymatch

    newcomers = buddymatch.read_newcomers("newcomers.csv")
    locals_ = buddymatch.read_locals("locals.csv")
    result = buddymatch.match(newcomers.people, locals_.people)
"""

import importlib as _importlib
import typing as _typing

__version__ = "0.1.0"

if _typing.TYPE_CHECKING:
    from buddymatch._errors import (
        BuddymatchError,
        ConfigError,
        Problem,
        RosterError,
        SolverRefusal,
    )
    from buddymatch._learning import (
        Cohort,
        LearnReport,
        WeightLearner,
        find_deviants,
        learn_weights,
    )
    from buddymatch._match import PairRequest, match
    from buddymatch._monitor import MonitorReport, monitor
    from buddymatch._profiles import Local, Newcomer
    from buddymatch._read import (
        PairRow,
        Roster,
        read_locals,
        read_newcomers,
        read_outcomes,
        read_pairs,
    )
    from buddymatch._report import write_match_report
    from buddymatch._report_leads import write_monitor_report, write_whatif_report
    from buddymatch._result import MatchResult, Pair, Unmatched
    from buddymatch._scenarios import run_scenarios
    from buddymatch._vocab import Level
    from buddymatch._weights import Weights
    from buddymatch._write import write_matches

# Where each public name lives. Each is imported on first use: the command line starts
# reading a roster before numpy, scipy and the solvers have loaded (~0.4 s), and learning
# pulls in scikit-learn (a second) only when it is used.
_HOME: _typing.Final = {
    "BuddymatchError": "_errors",
    "ConfigError": "_errors",
    "Problem": "_errors",
    "RosterError": "_errors",
    "SolverRefusal": "_errors",
    "Cohort": "_learning",
    "LearnReport": "_learning",
    "WeightLearner": "_learning",
    "find_deviants": "_learning",
    "learn_weights": "_learning",
    "PairRequest": "_match",
    "match": "_match",
    "MonitorReport": "_monitor",
    "monitor": "_monitor",
    "Local": "_profiles",
    "Newcomer": "_profiles",
    "PairRow": "_read",
    "Roster": "_read",
    "read_locals": "_read",
    "read_newcomers": "_read",
    "read_outcomes": "_read",
    "read_pairs": "_read",
    "write_match_report": "_report",
    "write_monitor_report": "_report_leads",
    "write_whatif_report": "_report_leads",
    "MatchResult": "_result",
    "Pair": "_result",
    "Unmatched": "_result",
    "run_scenarios": "_scenarios",
    "Level": "_vocab",
    "Weights": "_weights",
    "write_matches": "_write",
}


def __getattr__(name: str) -> _typing.Any:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module 'buddymatch' has no attribute {name!r}")
    value = getattr(_importlib.import_module(f"buddymatch.{home}"), name)
    globals()[name] = value  # the next lookup is a plain attribute
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_HOME})


__all__ = [
    "BuddymatchError",
    "Cohort",
    "ConfigError",
    "LearnReport",
    "Level",
    "Local",
    "MatchResult",
    "MonitorReport",
    "Newcomer",
    "Pair",
    "PairRequest",
    "PairRow",
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
