"""buddymatch: pairs newcomers with local volunteer buddies.

Read rosters, match them, and explain every pair and every newcomer left waiting::

    import buddymatch

    newcomers = buddymatch.read_newcomers("newcomers.csv")
    locals_ = buddymatch.read_locals("locals.csv")
    result = buddymatch.match(newcomers.people, locals_.people)
"""

from buddymatch._errors import BuddymatchError, ConfigError, Problem, RosterError, SolverRefusal
from buddymatch._match import PairRequest, match
from buddymatch._profiles import Local, Newcomer
from buddymatch._read import Roster, read_locals, read_newcomers, read_outcomes, read_pairs
from buddymatch._result import MatchResult, Pair, Unmatched
from buddymatch._weights import Weights
from buddymatch._write import write_matches

__version__ = "0.1.0"

__all__ = [
    "BuddymatchError",
    "ConfigError",
    "Local",
    "MatchResult",
    "Newcomer",
    "Pair",
    "PairRequest",
    "Problem",
    "Roster",
    "RosterError",
    "SolverRefusal",
    "Unmatched",
    "Weights",
    "__version__",
    "match",
    "read_locals",
    "read_newcomers",
    "read_outcomes",
    "read_pairs",
    "write_matches",
]
