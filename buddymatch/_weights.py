"""Weights and rules: what makes a pair good, and what makes it impossible.

Kept in TOML so coordinators and programme leads can read and change them; the bundled
``data/default_weights.toml`` documents every key. A user file overrides only the keys it
names.
"""

from __future__ import annotations

import math
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from buddymatch._errors import ConfigError
from buddymatch._toml import read_toml
from buddymatch._vocab import (
    ALL_SLOTS_MASK,
    LEVEL_NAMES,
    MODES,
    CellError,
    Level,
    Mode,
    parse_availability,
)

FEATURES: tuple[str, ...] = (
    "language",
    "dutch_practice",
    "travel",
    "interests",
    "common_slots",
    "age_gap",
    "household_fit",
)


class ModeSpeed(BaseModel):
    """How fast a way of travelling is, and when it is available."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    speed_kmh: float = Field(gt=0)
    detour: float = Field(ge=1)
    overhead_min: float = Field(ge=0)
    runs: str = "all"

    @field_validator("runs")
    @classmethod
    def _runs(cls, v: str) -> str:
        if v != "all":
            try:
                parse_availability(v)
            except CellError as exc:
                raise ValueError(f"{exc.message}; expected {exc.expected} or 'all'") from None
        return v

    @property
    def runs_mask(self) -> int:
        return ALL_SLOTS_MASK if self.runs == "all" else parse_availability(self.runs)

    def reach_km(self, minutes: float) -> float:
        """Straight-line distance coverable in ``minutes`` (0 if the overhead eats them)."""
        return max(minutes - self.overhead_min, 0.0) / 60.0 * self.speed_kmh / self.detour


class Rules(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    min_shared_level: Level = Level.A2
    dutch_practice_level: Level = Level.C1
    max_common_slots: int = Field(default=6, ge=1, le=21)

    @field_validator("min_shared_level", "dutch_practice_level", mode="before")
    @classmethod
    def _level(cls, v: Any) -> Any:
        if isinstance(v, str):
            if v.strip().lower() not in LEVEL_NAMES:
                raise ValueError("expected A1, A2, B1, B2, C1, C2 or native")
            return LEVEL_NAMES[v.strip().lower()]
        return v


def _load_default_toml() -> dict[str, Any]:
    text = (resources.files("buddymatch") / "data" / "default_weights.toml").read_text("utf-8")
    return tomllib.loads(text)


def _default_modes() -> dict[Mode, ModeSpeed]:
    return {m: ModeSpeed.model_validate(v) for m, v in _load_default_toml()["travel"].items()}


class ScoreModel(BaseModel):
    """How weights × features become a pair's score.

    ``linear``: the score is the weighted sum itself (hand-set weights). ``probability``:
    the weighted sum plus ``intercept`` is the log-odds that the pair meets twice or more,
    and the score is that probability, so the best set of pairs is the one with the most
    pairs expected to meet twice (learned weights).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["linear", "probability"] = "linear"
    intercept: float = 0.0


def _said(error: Any) -> str:
    """One validation error with the key as the TOML file writes it (``travel.bike.speed``,
    not ``travel_modes``) and, for a key that does not exist, the keys that do."""
    loc = [str(p) for p in error["loc"]]
    if loc and loc[0] == "travel_modes":
        loc[0] = "travel"
    key = ".".join(loc)
    if error["type"] == "extra_forbidden":
        sections: dict[str, type[BaseModel]] = {
            "rules": Rules,
            "travel": ModeSpeed,
            "model": ScoreModel,
        }
        if loc[0] in sections:
            names = ", ".join(sections[loc[0]].model_fields)
            return f"{key} is not a setting; expected one of {names}"
        return f"{key} is not a weight; expected one of {', '.join(FEATURES)}"
    return f"{key}: {error['msg'][0].lower()}{error['msg'][1:]}"


class Weights(BaseModel):
    """Feature weights, hard rules and travel modes (see ``default_weights.toml``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    language: float = 1.0
    dutch_practice: float = 1.0
    travel: float = -0.02
    interests: float = 0.4
    common_slots: float = 0.5
    age_gap: float = -0.05
    household_fit: float = 0.3
    rules: Rules = Rules()
    travel_modes: dict[Mode, ModeSpeed] = Field(default_factory=lambda: _default_modes())
    model: ScoreModel = ScoreModel()
    provenance: dict[str, Any] = Field(default_factory=dict)

    @field_validator(*FEATURES)
    @classmethod
    def _finite(cls, v: float) -> float:
        if not math.isfinite(v):
            raise ValueError("must be a finite number")
        return v

    @classmethod
    def default(cls) -> Self:
        return cls.from_mapping(_load_default_toml())

    @classmethod
    def from_mapping(cls, data: dict[str, Any], *, source: str = "weights") -> Self:
        known = {"weights", "rules", "travel", "model", "provenance"}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ConfigError(
                f"{source}: unknown section(s) {', '.join(unknown)}; expected [weights], "
                "[rules], [travel.<mode>], [model] and [provenance]"
            )
        travel = data.get("travel", {})
        bad_modes = sorted(set(travel) - set(MODES))
        if bad_modes:
            raise ConfigError(
                f"{source}: unknown travel mode(s) {', '.join(bad_modes)}; "
                f"expected {', '.join(MODES)}"
            )
        try:
            return cls.model_validate(
                {
                    **data.get("weights", {}),
                    "rules": data.get("rules", {}),
                    "travel_modes": travel,
                    "model": data.get("model", {}),
                    "provenance": data.get("provenance", {}),
                }
            )
        except ValidationError as exc:
            raise ConfigError(f"{source}: " + "; ".join(map(_said, exc.errors()))) from None

    @classmethod
    def from_toml(cls, path: str | Path, *, base: Weights | None = None) -> Weights:
        """Read a TOML file; keys it does not name keep the values of ``base`` (defaults)."""
        path = Path(path)
        data = read_toml(path, what="weights file")
        return (base or cls.default()).updated(data, source=path.name)

    def updated(self, data: dict[str, Any], *, source: str = "weights") -> Weights:
        """A copy with the keys of a TOML-shaped mapping replaced."""
        merged = self.to_mapping()
        for section in ("weights", "rules", "model"):
            merged[section].update(data.get(section, {}))
        for mode, spec in data.get("travel", {}).items():
            merged["travel"].setdefault(mode, {}).update(spec)
        merged.update(
            {k: v for k, v in data.items() if k not in ("weights", "rules", "travel", "model")}
        )
        return Weights.from_mapping(merged, source=source)

    def to_mapping(self) -> dict[str, Any]:
        return {
            "weights": {f: getattr(self, f) for f in FEATURES},
            "rules": {
                "min_shared_level": self.rules.min_shared_level.label,
                "dutch_practice_level": self.rules.dutch_practice_level.label,
                "max_common_slots": self.rules.max_common_slots,
            },
            "travel": {m: s.model_dump() for m, s in self.travel_modes.items()},
            "model": self.model.model_dump(),
            **({"provenance": dict(self.provenance)} if self.provenance else {}),
        }

    def to_toml(self) -> str:
        """The TOML text of these weights; :meth:`from_toml` reads it back unchanged."""
        import tomli_w

        head = "# buddymatch weights (see the README, section Weights)\n\n"
        return head + tomli_w.dumps(self.to_mapping())

    def write_toml(self, path: str | Path) -> Path:
        path = Path(path)
        path.write_text(self.to_toml(), encoding="utf-8")
        return path

    def vector(self) -> list[float]:
        return [float(getattr(self, f)) for f in FEATURES]

    def mode(self, mode: Mode) -> ModeSpeed:
        spec = self.travel_modes.get(mode)
        if spec is None:
            raise ConfigError(f"no travel settings for mode '{mode}'")
        return spec
