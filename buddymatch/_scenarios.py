"""What-if scenarios: a base (rosters, weights) and changes to it, run and compared.

The file format is ``docs/scenario-format.md`` (the contract) plus the extensions listed in
``docs/scenarios.md``. Every unknown key, unknown column or filter that matches nobody is a
:class:`ConfigError` naming the file, the key and what was expected: a programme lead
should never get a silent no-op.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Literal, TypeVar

from pydantic import ValidationError

from buddymatch._errors import ConfigError
from buddymatch._match import PairRequest, Prepared, match_prepared, prepare
from buddymatch._profiles import Local, Newcomer, Person
from buddymatch._result import MatchResult
from buddymatch._table import ALIASES
from buddymatch._toml import read_toml
from buddymatch._vocab import parse_languages
from buddymatch._weights import FEATURES, Weights

P = TypeVar("P", bound=Person)
Who = Literal["newcomers", "locals", "everyone"]

_LOCATION = ("postcode", "place", "lat", "lon")
_DERIVED = ("lat", "lon", "pc4", "municipality", "place", "postcode")
# Roster columns by their English names (the model's field names) and Dutch aliases.
_COLUMN_OF = {alias: col for col, names in ALIASES["locals"].items() for alias in names}
_LIST_COLUMNS = ("languages", "interests", "availability", "transport")
_TOP_KEYS = {
    "name",
    "description",
    "extends",
    "base",
    "add_locals",
    "add_newcomers",
    "remove",
    "set",
    "weights",
    "rules",
    "travel",
    "pin",
    "forbid",
}
_WHERE_KEYS = ("place", "postcode", "municipality")


@dataclass(frozen=True)
class Scenario:
    """A parsed scenario file (after ``extends`` is resolved)."""

    name: str
    path: Path
    newcomers: Path
    locals: Path
    weights_file: Path | None
    add_locals: tuple[dict[str, Any], ...] = ()
    add_newcomers: tuple[dict[str, Any], ...] = ()
    remove: tuple[str, ...] = ()
    set: tuple[dict[str, Any], ...] = ()
    weight_changes: dict[str, Any] = field(default_factory=dict)
    pin: tuple[tuple[str, str], ...] = ()
    forbid: tuple[tuple[str, str], ...] = ()


def _err(path: Path, key: str, message: str, expected: str) -> ConfigError:
    return ConfigError(f"{path.name}: '{key}' {message}; expected {expected}")


def _table_list(path: Path, data: dict[str, Any], key: str) -> list[dict[str, Any]]:
    value = data.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise _err(path, key, "is not a list of tables", f"[[{key}]] blocks")
    return value


def load_scenario(path: str | Path, *, _seen: tuple[Path, ...] = ()) -> Scenario:
    """Read a scenario file; ``extends`` chains are followed (and loops refused)."""
    path = Path(path).resolve()
    if path in _seen:
        raise ConfigError(f"{path.name}: 'extends' goes round in a circle")
    data = read_toml(path, what="scenario file")
    unknown = sorted(set(data) - _TOP_KEYS)
    if unknown:
        raise _err(
            path, unknown[0], "is not a scenario key", "one of " + ", ".join(sorted(_TOP_KEYS))
        )
    name = str(data.get("name", path.stem))

    if "base" in data:
        if "extends" in data:
            raise _err(
                path, "extends", "cannot be used together with [base]", "either [base] or extends"
            )
        base = data["base"]
        bad = sorted(set(base) - {"newcomers", "locals", "weights", "pinned", "forbidden"})
        if bad:
            raise _err(
                path,
                f"base.{bad[0]}",
                "is not a base key",
                "newcomers, locals and optionally weights",
            )
        for key in ("newcomers", "locals"):
            if key not in base:
                raise _err(path, f"base.{key}", "is missing", "a roster file path")
        parent = Scenario(
            name="base",
            path=path,
            newcomers=(path.parent / base["newcomers"]).resolve(),
            locals=(path.parent / base["locals"]).resolve(),
            weights_file=(path.parent / base["weights"]).resolve() if "weights" in base else None,
        )
    elif "extends" in data:
        target = path.parent / str(data["extends"])
        if not target.is_file():
            raise _err(
                path, "extends", f"names {target}, which is not a file", "a scenario file path"
            )
        parent = load_scenario(target, _seen=(*_seen, path))
    else:
        raise _err(path, "base", "is missing", 'a [base] table or extends = "other.toml"')

    weight_changes: dict[str, Any] = {k: dict(v) for k, v in parent.weight_changes.items()}
    flat = data.get("weights", {})
    bad_w = sorted(set(flat) - set(FEATURES))
    if bad_w:
        raise _err(path, f"weights.{bad_w[0]}", "is not a weight", ", ".join(FEATURES))
    weight_changes.setdefault("weights", {}).update(flat)
    weight_changes.setdefault("rules", {}).update(data.get("rules", {}))
    for mode, spec in data.get("travel", {}).items():
        weight_changes.setdefault("travel", {}).setdefault(mode, {}).update(spec)

    def pairs(key: str) -> tuple[tuple[str, str], ...]:
        out = []
        for block in _table_list(path, data, key):
            if set(block) != {"newcomer_id", "local_id"}:
                raise _err(
                    path,
                    key,
                    "needs exactly newcomer_id and local_id",
                    f'[[{key}]] newcomer_id = "N1" local_id = "L1"',
                )
            out.append((str(block["newcomer_id"]), str(block["local_id"])))
        return tuple(out)

    removes: list[str] = []
    for block in _table_list(path, data, "remove"):
        ids = block.get("ids")
        if set(block) != {"ids"} or not isinstance(ids, list):
            raise _err(path, "remove", "needs a list of ids", 'ids = ["L00017", "N00203"]')
        removes.extend(str(i) for i in ids)
    for key in ("add_locals", "add_newcomers"):
        for block in _table_list(path, data, key):
            _check_add(path, key, block)
    for block in _table_list(path, data, "set"):
        _check_set(path, block)

    return Scenario(
        name=name,
        path=path,
        newcomers=parent.newcomers,
        locals=parent.locals,
        weights_file=parent.weights_file,
        add_locals=(*parent.add_locals, *_table_list(path, data, "add_locals")),
        add_newcomers=(*parent.add_newcomers, *_table_list(path, data, "add_newcomers")),
        remove=(*parent.remove, *removes),
        set=(*parent.set, *_table_list(path, data, "set")),
        weight_changes=weight_changes,
        pin=(*parent.pin, *pairs("pin")),
        forbid=(*parent.forbid, *pairs("forbid")),
    )


def _column(path: Path, key: str, column: str, *, allow_add: bool) -> str:
    """The model field a scenario column names (English or Dutch), or an error.

    In ``[[set]]``, ``add_<list column>`` adds to a list instead of replacing it.
    """
    prefix, bare = ("add_", column[4:]) if allow_add and column.startswith("add_") else ("", column)
    canonical = _COLUMN_OF.get(bare.strip().lower())
    if canonical is None or canonical == "id" or (prefix and canonical not in _LIST_COLUMNS):
        raise _err(
            path,
            f"{key}.{column}",
            "is not a roster column",
            "a roster column such as languages, transport, availability, place, "
            "max_travel_min (or add_languages, add_transport, add_availability, "
            "add_interests to add to a list)",
        )
    return prefix + canonical


def _check_add(path: Path, key: str, block: dict[str, Any]) -> None:
    count = block.get("count", 1)
    if not isinstance(count, int) or count < 1:
        raise _err(path, f"{key}.count", "is not a whole number of 1 or more", "e.g. count = 5")
    cols = [_column(path, key, c, allow_add=False) for c in block if c != "count"]
    if not set(cols) & set(_LOCATION):
        raise _err(path, key, "has no place", "place, postcode, or lat and lon")
    if "languages" not in cols:
        raise _err(path, f"{key}.languages", "is missing", 'e.g. languages = "ti:native|nl:native"')
    if key == "add_newcomers" and "capacity" in cols:
        raise _err(path, f"{key}.capacity", "is for locals only", "no capacity for newcomers")


def _check_set(path: Path, block: dict[str, Any]) -> None:
    who = block.get("who")
    if who not in ("newcomers", "locals", "everyone"):
        raise _err(path, "set.who", "is missing or unknown", "newcomers, locals or everyone")
    where = block.get("where", {})
    if not isinstance(where, dict) or set(where) - set(_WHERE_KEYS):
        raise _err(path, "set.where", "has an unknown filter", "place, postcode or municipality")
    changes = [c for c in block if c not in ("who", "where")]
    if not changes:
        raise _err(path, "set", "changes nothing", "at least one roster column to set")
    for c in changes:
        _column(path, "set", c, allow_add=True)


def _text(value: Any) -> Any:
    """TOML values as roster cells: lists become ``|``-lists, the rest stays as is."""
    if isinstance(value, list):
        return "|".join(str(v) for v in value)
    return value


def _matches(person: Person, where: dict[str, Any]) -> bool:
    for key, wanted in where.items():
        values = {
            str(v).strip().lower() for v in (wanted if isinstance(wanted, list) else [wanted])
        }
        have = {
            "place": person.place,
            "municipality": person.municipality,
            "postcode": (person.pc4 or "")[:4],
        }[key]
        if key == "postcode":
            values = {v.replace(" ", "")[:4] for v in values}
        if (have or "").strip().lower() not in values:
            return False
    return True


def rebuild_person(model: type[P], person: P, changes: dict[str, Any]) -> P:
    moved = bool(set(changes) & set(_LOCATION))
    data = person.model_dump(exclude=set(_DERIVED) if moved else set())
    for column, value in changes.items():
        if column.startswith("add_"):
            col = column[4:]
            if col == "languages":
                data[col] = {**data[col], **parse_languages(str(_text(value)))}
            else:
                data[col] = "|".join([*map(str, data[col] or ()), str(_text(value))])
        else:
            data[column] = _text(value)
    return model.model_validate(data)


def _apply_sets(
    scenario: Scenario, who: Who, model: type[P], people: list[P], used: list[bool]
) -> list[P]:
    out = list(people)
    for k, block in enumerate(scenario.set):
        if block["who"] not in (who, "everyone"):
            continue
        changes = {
            _column(scenario.path, "set", c, allow_add=True): v
            for c, v in block.items()
            if c not in ("who", "where")
        }
        for i, person in enumerate(out):
            if _matches(person, block.get("where", {})):
                used[k] = True
                try:
                    out[i] = rebuild_person(model, person, changes)
                except ValidationError as exc:
                    raise ConfigError(
                        f"{scenario.path.name}: [[set]] block {k + 1}: {_why(exc)}"
                    ) from None
    return out


def _added(scenario: Scenario, key: str, model: type[P], taken: set[str]) -> list[P]:
    """The people a scenario adds, with ids that say where they came from; an id a roster
    already has (``taken``, which grows) gets a suffix, so no added id clashes."""
    out: list[P] = []
    for k, block in enumerate(getattr(scenario, key), start=1):
        cells = {
            _column(scenario.path, key, c, allow_add=False): _text(v)
            for c, v in block.items()
            if c != "count"
        }
        for i in range(1, int(block.get("count", 1)) + 1):
            pid = f"whatif-{'add' if key == 'add_locals' else 'addn'}-{k}-{i:03d}"
            pid = next(
                c
                for c in itertools.chain([pid], (f"{pid}-{j}" for j in itertools.count(2)))
                if c not in taken
            )
            taken.add(pid)
            try:
                out.append(model.model_validate({**cells, "id": pid}))
            except ValidationError as exc:
                raise ConfigError(
                    f"{scenario.path.name}: [[{key}]] block {k}: {_why(exc)}"
                ) from None
    return out


def _why(exc: ValidationError) -> str:
    """A profile's first error in a scenario's words: the key, what is wrong with it, and
    what is expected (as a roster cell would be told)."""
    from buddymatch._read import COLUMN_HELP

    err = exc.errors()[0]
    ctx = err.get("ctx") or {}
    key = str(err["loc"][0]) if err["loc"] else str(ctx.get("column") or "")
    expected = ctx.get("expected") or COLUMN_HELP.get(key)
    message = err["msg"][0].lower() + err["msg"][1:] if err["msg"] else "cannot be used"
    return (f"'{key}': " if key else "") + message + (f"; expected {expected}" if expected else "")


@dataclass(frozen=True)
class Applied:
    """The rosters and settings a scenario describes, ready to match."""

    newcomers: list[Newcomer]
    locals: list[Local]
    weights: Weights
    pin: tuple[tuple[str, str], ...]
    forbid: tuple[tuple[str, str], ...]


def apply_scenario(
    scenario: Scenario,
    newcomers: Sequence[Newcomer],
    locals_: Sequence[Local],
    base_weights: Weights,
) -> Applied:
    ids = {p.id for p in newcomers} | {p.id for p in locals_}
    missing = [i for i in scenario.remove if i not in ids]
    if missing:
        raise ConfigError(
            f"{scenario.path.name}: [[remove]] names ids in no roster: " + ", ".join(missing[:10])
        )
    gone = set(scenario.remove)
    used = [False] * len(scenario.set)
    new_n = _apply_sets(
        scenario, "newcomers", Newcomer, [p for p in newcomers if p.id not in gone], used
    )
    new_l = _apply_sets(scenario, "locals", Local, [p for p in locals_ if p.id not in gone], used)
    for k, hit in enumerate(used):
        if not hit:
            raise ConfigError(
                f"{scenario.path.name}: [[set]] block {k + 1} matches nobody "
                f"(who = {scenario.set[k]['who']}, where = "
                f"{scenario.set[k].get('where', {})}); expected a filter that "
                "matches at least one person"
            )
    new_n += _added(scenario, "add_newcomers", Newcomer, ids)
    new_l += _added(scenario, "add_locals", Local, ids)
    weights = base_weights.updated(scenario.weight_changes, source=scenario.path.name)
    return Applied(new_n, new_l, weights, scenario.pin, scenario.forbid)


# Template columns never shown (in any of their names): personal data, even made up.
_PERSONAL: Final = frozenset({"name", "gender", "age"})


def _words(value: object) -> str:
    """A scenario value as a programme lead wrote it: lists joined with |, tables as
    "key value" parts."""
    if isinstance(value, dict):
        return ", ".join(f"{k.replace('_', ' ')} {_words(v)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return "|".join(_words(v) for v in value)
    return str(value)


def _fields(block: dict[str, Any], skip: tuple[str, ...]) -> str:
    return "; ".join(
        f"{k.replace('_', ' ')} {_words(v)}"
        for k, v in block.items()
        if k not in skip and _COLUMN_OF.get(k.strip().lower()) not in _PERSONAL
    )


def scenario_summary(scenario: Scenario) -> list[str]:
    """The changes a scenario makes, in words, for the report (never a template's name,
    gender or age)."""
    lines = [
        f"+{b.get('count', 1)} local(s): {_fields(b, ('count',))}" for b in scenario.add_locals
    ]
    lines += [
        f"+{b.get('count', 1)} newcomer(s): {_fields(b, ('count',))}"
        for b in scenario.add_newcomers
    ]
    if scenario.remove:
        ids = sorted(set(scenario.remove))
        shown = ", ".join(ids[:8]) + (f" and {len(ids) - 8} more" if len(ids) > 8 else "")
        lines.append(f"remove {len(ids)} person(s): {shown}")
    for b in scenario.set:
        where = _words(b.get("where", {})) or "everyone"
        lines.append(f"{b['who']} where {where}: {_fields(b, ('who', 'where'))}")
    for section, values in scenario.weight_changes.items():
        if values:
            lines.append(f"{section.replace('_', ' ')}: {_words(values)}")
    lines += [f"pin {a}–{b}" for a, b in scenario.pin]
    lines += [f"forbid {a}–{b}" for a, b in scenario.forbid]
    return lines


@dataclass(frozen=True)
class ScenarioRun:
    """One scenario matched, with what it changed against its base."""

    name: str
    path: Path
    result: MatchResult
    newcomers: list[Newcomer]
    locals: list[Local]
    changes: list[str]
    base_key: tuple[Path, Path, Path | None]


def _requested(scenario: Scenario, key: str, pairs: Sequence[tuple[str, str]]) -> list[PairRequest]:
    """A scenario's pins or bans, so that a problem with one names the file and block."""
    return [
        PairRequest(a, b, f"{scenario.path.name}, [[{key}]] block {k}")
        for k, (a, b) in enumerate(pairs, start=1)
    ]


def _read_base(
    newcomers: Path, locals_: Path, scenario: Path
) -> tuple[list[Newcomer], list[Local]]:
    from buddymatch._read import read_locals, read_newcomers

    for key, path in (("newcomers", newcomers), ("locals", locals_)):
        if not path.is_file():
            raise ConfigError(
                f"{scenario.name}: 'base.{key}' names {path}, which is not a file; expected "
                "a roster path, relative to the scenario file's folder"
            )
    n = read_newcomers(newcomers)
    n.raise_if_problems()
    loc = read_locals(locals_)
    loc.raise_if_problems()
    return n.people, loc.people


def _run_one(
    scenario: Scenario,
    base_people: tuple[list[Newcomer], list[Local]],
    base_weights: Weights,
    keep: list[tuple[str, str]],
    solver: str,
    seed: int,
    base: Prepared | None = None,
) -> ScenarioRun:
    """Match one scenario; with ``base`` (its base's prepared run) only the pairs of the
    people the scenario adds or changes are searched again."""
    return _run_prepared(scenario, base_people, base_weights, keep, solver, seed, base)[0]


def _run_prepared(
    scenario: Scenario,
    base_people: tuple[list[Newcomer], list[Local]],
    base_weights: Weights,
    keep: list[tuple[str, str]],
    solver: str,
    seed: int,
    base: Prepared | None,
) -> tuple[ScenarioRun, Prepared]:
    applied = apply_scenario(scenario, *base_people, base_weights)
    prep = prepare(applied.newcomers, applied.locals, applied.weights, reuse=base)
    result = match_prepared(
        prep,
        weights=applied.weights,
        solver=solver,
        seed=seed,
        pinned=_requested(scenario, "pin", applied.pin),
        forbidden=_requested(scenario, "forbid", applied.forbid),
        keep=keep,
    )
    run = ScenarioRun(
        scenario.name,
        scenario.path,
        result,
        applied.newcomers,
        applied.locals,
        scenario_summary(scenario),
        (scenario.newcomers, scenario.locals, scenario.weights_file),
    )
    return run, prep


def run_scenarios(
    paths: Sequence[str | Path], *, solver: str = "auto", seed: int = 0, jobs: int = 1
) -> tuple[dict[tuple[Path, Path, Path | None], ScenarioRun], list[ScenarioRun]]:
    """Match every scenario's base once, then every scenario (in ``jobs`` processes).

    Scenarios keep their base's pairs where that costs nothing, so "who changes partner"
    counts only changes the scenario needs, and take over their base's candidate pairs
    between people they do not change. Returns the base runs (by base) and the runs.
    """
    scenarios = [load_scenario(p) for p in paths]
    bases: dict[tuple[Path, Path, Path | None], ScenarioRun] = {}
    people: dict[tuple[Path, Path, Path | None], tuple[list[Newcomer], list[Local]]] = {}
    prepared: dict[tuple[Path, Path, Path | None], Prepared] = {}
    weights: dict[tuple[Path, Path, Path | None], Weights] = {}
    for s in scenarios:
        key = (s.newcomers, s.locals, s.weights_file)
        if key in bases:
            continue
        people[key] = _read_base(s.newcomers, s.locals, s.path)
        weights[key] = Weights.from_toml(s.weights_file) if s.weights_file else Weights.default()
        base = Scenario(
            name="base",
            path=s.path,
            newcomers=s.newcomers,
            locals=s.locals,
            weights_file=s.weights_file,
        )
        bases[key], prepared[key] = _run_prepared(
            base, people[key], weights[key], [], solver, seed, None
        )
    args = []
    for s in scenarios:
        key = (s.newcomers, s.locals, s.weights_file)
        keep = [(p.newcomer_id, p.local_id) for p in bases[key].result.pairs]
        args.append((s, people[key], weights[key], keep, solver, seed, prepared[key]))
    if jobs > 1 and len(args) > 1:
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            runs = list(pool.map(_run_one, *zip(*args, strict=True)))
    else:
        runs = [_run_one(*a) for a in args]
    return bases, runs
