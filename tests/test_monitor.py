"""The monitor on rosters whose blocking causes are known by construction."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from buddymatch._match import match
from buddymatch._monitor import monitor
from buddymatch._profiles import Local, Newcomer
from buddymatch.cli import main


def world() -> tuple[list[Newcomer], list[Local]]:
    """Maurik: six Somali speakers, no local speaks so. Kesteren: three newcomers who only
    have the neighbourhood bus and are free at the weekend, when it does not run. Tiel:
    everyone finds a buddy."""
    newcomers = [
        Newcomer(
            id=f"M{i}",
            place="Maurik",
            languages="so:native|nl:A1",
            transport="bike",
            availability="sat",
        )
        for i in range(6)
    ]
    newcomers += [
        Newcomer(
            id=f"K{i}",
            postcode="4041",
            languages="ar:native|nl:A2",
            transport="neighbourhood_bus",
            availability="sat|sun",
            max_travel_min=60,
        )
        for i in range(3)
    ]
    newcomers += [
        Newcomer(id=f"T{i}", place="Tiel", languages="nl:B1", transport="bike", availability="sat")
        for i in range(4)
    ]
    locals_ = [
        Local(
            id=f"LM{i}",
            place="Maurik",
            languages="nl:native|en:C1",
            transport="bike",
            availability="sat",
        )
        for i in range(4)
    ]
    locals_ += [
        Local(
            id=f"LK{i}",
            postcode="4043",
            languages="nl:native|ar:C1",
            transport="walk",
            availability="sat|sun",
        )
        for i in range(3)
    ]
    locals_ += [
        Local(
            id=f"LT{i}", place="Tiel", languages="nl:native", transport="bike", availability="sat"
        )
        for i in range(4)
    ]
    return newcomers, locals_


def test_monitor_names_the_causes_and_the_best_change() -> None:
    newcomers, locals_ = world()
    report = monitor(newcomers, locals_)
    areas = {a.area: a for a in report.areas}
    assert areas["Tiel"].matched == 4 and not areas["Tiel"].blocking
    buren = areas["Buren"]
    assert buren.matched == 0 and buren.matchable == 0
    assert buren.blocking[0].code == "language" and "language so" in buren.blocking[0].detail
    assert buren.blocking[0].newcomers == 6
    neder = areas["Neder-Betuwe"]
    assert [b.code for b in neder.blocking] == ["transport_runs"]
    assert neder.blocking[0].newcomers == 3

    best = report.changes[0]
    assert best.area == "Buren" and "speaking so" in best.description
    # Solved again independently: six Somali-speaking volunteers in Maurik match all six.
    extra = [
        Local(
            id=f"X{i}",
            place="Maurik",
            languages="so:native|nl:native",
            transport="bike|public_transport",
        )
        for i in range(6)
    ]
    again = match(newcomers, [*locals_, *extra]).matched_count
    assert best.added_matches == again - report.matched == 6
    assert all(c.added_matches <= best.added_matches for c in report.changes)
    fixes = [c for c in report.changes if c.area == "Neder-Betuwe"]
    assert fixes and max(c.added_matches for c in fixes) == 3  # e.g. a village car


def test_rural_newcomers_wait_more_often_here() -> None:
    newcomers, locals_ = world()
    newcomers.append(Newcomer(id="R1", place="Rotterdam", languages="nl:B1"))
    locals_.append(Local(id="LR1", place="Rotterdam", languages="nl:native"))
    report = monitor(newcomers, locals_)
    assert report.urban_share == 1.0
    assert report.rural_share == pytest.approx(4 / 13, abs=1e-4)


def test_monitor_command_writes_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    newcomers, locals_ = world()
    cols = ["id", "lat", "lon", "languages", "transport", "availability", "max_travel_min"]

    def write(path: Path, people: list[Newcomer] | list[Local]) -> None:
        rows = [",".join(cols)]
        for p in people:
            rows.append(
                ",".join(
                    [
                        p.id,
                        str(p.lat),
                        str(p.lon),
                        "|".join(f"{c}:{v.label}" for c, v in p.languages.items()),
                        "|".join(p.transport),
                        "|".join(p.availability),
                        str(p.max_travel_min),
                    ]
                )
            )
        path.write_text("\n".join(rows) + "\n", encoding="utf-8")

    write(tmp_path / "n.csv", newcomers)
    write(tmp_path / "l.csv", locals_)
    out = tmp_path / "monitor.json"
    assert (
        main(["monitor", str(tmp_path / "n.csv"), str(tmp_path / "l.csv"), "--json", str(out)]) == 0
    )
    data = json.loads(out.read_text("utf-8"))
    assert data["kind"] == "monitor"
    assert data["best_changes"][0]["added_matches"] == 6
    assert "language so" in capsys.readouterr().out


def test_new_volunteers_are_placed_where_their_newcomers_live() -> None:
    # Two villages of one municipality (Buren), about 6 km apart, 20 minutes by bike at most:
    # Somali speakers wait in Lienden, more newcomers wait for other reasons in Maurik.
    newcomers = [
        Newcomer(
            id=f"S{i}",
            place="Lienden",
            languages="so:native",
            transport="bike",
            max_travel_min=20,
            availability="sat",
        )
        for i in range(2)
    ]
    newcomers += [
        Newcomer(
            id=f"M{i}",
            place="Maurik",
            languages="nl:B1",
            transport="bike",
            max_travel_min=20,
            availability="sat",
        )
        for i in range(4)
    ]
    locals_ = [
        Local(id="L1", place="Maurik", languages="nl:native", transport="bike", availability="sat")
    ]
    report = monitor(newcomers, locals_)
    lienden = next(c for c in report.changes if "Lienden" in c.description)
    assert "speaking so" in lienden.description
    assert lienden.area == "Buren" and lienden.added_matches == 2
