"""What-if scenario files: the contract's keys, clear errors, exact effects."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from buddymatch._errors import ConfigError, RosterError
from buddymatch._match import match
from buddymatch._profiles import Local, Newcomer
from buddymatch._scenarios import load_scenario, run_scenarios
from buddymatch.cli import main

ROOT = Path(__file__).resolve().parent.parent
NEWCOMERS = """id,postcode,languages,availability,transport,max_travel_min
N1,4001,ti:native,sat,bike,30
N2,4001,ti:native|en:A2,sat,bike,30
N3,4002,ti:native,sat|sun,bike,30
N4,4021,ar:native|nl:A2,sat,bike,30
N5,4021,ar:native|nl:A2,mon,neighbourhood_bus,45
N6,4001,nl:B1,sat,bike,30
"""
LOCALS = """id,postcode,languages,availability,transport,capacity
L1,4001,nl:native,sat,bike,1
L2,4021,nl:native|ar:B2,sat,bike,1
L3,3011,ti:native,sat,bike,1
"""


@pytest.fixture
def base_dir(tmp_path: Path) -> Path:
    (tmp_path / "n.csv").write_text(NEWCOMERS, encoding="utf-8")
    (tmp_path / "l.csv").write_text(LOCALS, encoding="utf-8")
    return tmp_path


def _scenario(dirpath: Path, name: str, body: str) -> Path:
    path = dirpath / name
    path.write_text('[base]\nnewcomers = "n.csv"\nlocals = "l.csv"\n' + body, encoding="utf-8")
    return path


def test_adding_the_missing_volunteers_shows_the_exact_extra_matches(base_dir: Path) -> None:
    path = _scenario(
        base_dir,
        "ti.toml",
        """
[[add_locals]]
count = 3
place = "Tiel"
languages = "ti:native|nl:native"
availability = "sat|sun"
transport = "bike"
""",
    )
    bases, runs = run_scenarios([path])
    (base,) = bases.values()
    (run,) = runs
    added = [loc for loc in run.locals if loc.id.startswith("whatif-add-1-")]
    assert [a.id for a in added] == ["whatif-add-1-001", "whatif-add-1-002", "whatif-add-1-003"]
    # The same change made by hand, solved independently.
    by_hand = [
        Local(
            id=f"X{i}",
            place="Tiel",
            languages="ti:native|nl:native",
            availability="sat|sun",
            transport="bike",
        )
        for i in range(3)
    ]
    newcomers = list(base.newcomers)
    expected = match(newcomers, [*base.locals, *by_hand]).matched_count
    assert run.result.matched_count == expected
    assert run.result.matched_count - base.result.matched_count == 3  # N1, N2, N3


def test_base_pairs_are_kept_when_nothing_forces_a_change(base_dir: Path) -> None:
    far = _scenario(
        base_dir,
        "far.toml",
        """
[[add_locals]]
count = 2
place = "Groningen"
languages = "nl:native"
""",
    )
    bases, runs = run_scenarios([far])
    (base,) = bases.values()
    assert {(p.newcomer_id, p.local_id) for p in runs[0].result.pairs} == {
        (p.newcomer_id, p.local_id) for p in base.result.pairs
    }


def test_set_changes_a_group_and_extends_builds_on_another_scenario(base_dir: Path) -> None:
    first = _scenario(base_dir, "a.toml", '[[remove]]\nids = ["N6"]\n')
    second = base_dir / "b.toml"
    second.write_text(
        """extends = "a.toml"
[[set]]
who = "newcomers"
where = { place = "Maurik" }
add_transport = "village_car"
max_travel_min = 60
""",
        encoding="utf-8",
    )
    s = load_scenario(second)
    assert s.remove == ("N6",)
    _, runs = run_scenarios([first, second])
    people = {p.id: p for p in runs[1].newcomers}
    assert "N6" not in people
    assert "village_car" in people["N4"].transport and "bike" in people["N4"].transport
    assert people["N5"].max_travel_min == 60 and people["N1"].max_travel_min == 30


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("colour = 'red'\n", "'base.colour' is not a base key"),
        (
            "[[add_locals]]\ncount = 2\nplace = 'Tiel'\nlanguages = 'nl'\nshoe_size = 3\n",
            "'add_locals.shoe_size' is not a roster column",
        ),
        ("[[add_locals]]\ncount = 2\nlanguages = 'nl'\n", "has no place"),
        (
            "[[set]]\nwho = 'locals'\nwhere = { municipality = 'Groningen' }\nmax_travel_min = 9\n",
            "matches nobody",
        ),
        ("[[set]]\nwho = 'volunteers'\nmax_travel_min = 9\n", "'set.who'"),
        ("[[remove]]\nids = ['N404']\n", "N404"),
        ("[weights]\ntravle = -0.1\n", "'weights.travle' is not a weight"),
        ("[[add_newcomers]]\nplace = 'Atlantis'\nlanguages = 'ar'\n", "not known"),
    ],
)
def test_mistakes_are_named_with_file_and_key(base_dir: Path, body: str, message: str) -> None:
    path = _scenario(base_dir, "bad.toml", body)
    with pytest.raises(ConfigError, match=r"bad\.toml") as err:
        run_scenarios([path])
    assert message in str(err.value)


def test_extends_loop_and_missing_base_are_refused(tmp_path: Path) -> None:
    (tmp_path / "a.toml").write_text('extends = "b.toml"\n', encoding="utf-8")
    (tmp_path / "b.toml").write_text('extends = "a.toml"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="circle"):
        load_scenario(tmp_path / "a.toml")
    (tmp_path / "c.toml").write_text('name = "x"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="base"):
        load_scenario(tmp_path / "c.toml")


def test_whatif_command_writes_json(base_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _scenario(
        base_dir,
        "ti.toml",
        """
[[add_locals]]
count = 1
postcode = "4001"
languages = "ti:native"
availability = "sat"
""",
    )
    out = base_dir / "whatif.json"
    assert main(["whatif", str(path), "--json", str(out), "--jobs", "2"]) == 0
    data = json.loads(out.read_text("utf-8"))
    assert data["kind"] == "whatif" and data["version"] == 1
    (scenario,) = data["scenarios"]
    assert scenario["deltas"]["matched"] == (
        scenario["figures"]["matched"] - data["bases"][0]["figures"]["matched"]
    )
    assert scenario["figures"]["changed_partner"] == 0


def test_documented_examples_run(capsys: pytest.CaptureFixture[str]) -> None:
    examples = sorted((ROOT / "docs" / "examples").glob("*.toml"))
    assert len(examples) >= 3
    assert main(["whatif", *map(str, examples)]) == 0
    assert "Village car in Buren" in capsys.readouterr().out


def test_newcomer_template_gets_newcomer_ids(base_dir: Path) -> None:
    path = _scenario(
        base_dir,
        "n.toml",
        """
[[add_newcomers]]
count = 2
postcode = "4021"
languages = "ar:native|nl:A1"
""",
    )
    _, runs = run_scenarios([path])
    ids = sorted(p.id for p in runs[0].newcomers if p.id.startswith("whatif"))
    assert ids == ["whatif-addn-1-001", "whatif-addn-1-002"]
    assert all(isinstance(p, Newcomer) for p in runs[0].newcomers)


def test_added_ids_never_clash_with_roster_ids(base_dir: Path) -> None:
    """The contract: added people never get an id a roster could already have."""
    (base_dir / "l.csv").write_text(
        LOCALS + "whatif-add-1-002,4001,nl:native,sat,bike,1\n", encoding="utf-8"
    )
    path = _scenario(
        base_dir, "a.toml", '[[add_locals]]\ncount = 3\nplace = "Tiel"\nlanguages = "nl:B1"\n'
    )
    _, (run,) = run_scenarios([path])
    ids = [loc.id for loc in run.locals]
    assert len(ids) == len(set(ids)) == 4 + 3
    assert "whatif-add-1-002-2" in ids


def test_changes_are_told_in_words_without_personal_fields(base_dir: Path) -> None:
    path = _scenario(
        base_dir,
        "w.toml",
        """
[[remove]]
ids = ["L1", "L1", "N6"]
[[add_locals]]
count = 2
place = "Tiel"
languages = "ar:native|nl:native"
name = "Jan Testpersoon"
gender = "f"
age = 44
[[set]]
who = "newcomers"
where = { place = "Tiel" }
add_transport = "village_car"
""",
    )
    _, (run,) = run_scenarios([path])
    text = "\n".join(run.changes)
    for personal in ("Jan", "Testpersoon", "gender", "44"):
        assert personal not in text
    assert "+2 local(s): place Tiel; languages ar:native|nl:native" in text
    assert "remove 2 person(s): L1, N6" in text
    assert "newcomers where place Tiel: add transport village_car" in text


def test_a_base_roster_that_is_not_there_is_named(base_dir: Path) -> None:
    path = base_dir / "m.toml"
    path.write_text('[base]\nnewcomers = "nieuwkomers.csv"\nlocals = "l.csv"\n')
    with pytest.raises(ConfigError, match=r"m\.toml: 'base\.newcomers' names .*not a file"):
        run_scenarios([path])


def test_the_command_line_shows_block_names_and_refuses_no_jobs(
    base_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Messages keep their [[...]] (the console would take them for styles) and --jobs
    below 1 is an input error, not a crash."""
    path = _scenario(base_dir, "p.toml", '[[add_locals]]\nplace = "Atlantis"\nlanguages = "nl"\n')
    assert main(["whatif", str(path)]) == 2
    assert "[[add_locals]] block 1" in " ".join(capsys.readouterr().out.split())
    ok = _scenario(base_dir, "ok.toml", '[[add_locals]]\nplace = "Tiel"\nlanguages = "nl"\n')
    assert main(["whatif", str(ok), "--jobs", "0"]) == 2
    assert "--jobs must be 1 or more" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (
            '[[set]]\nwho = "newcomers"\ntransport = "vilage_car"\n',
            "[[set]] block 1: 'transport': 'vilage_car' is not a way of travelling; expected "
            "walk, bike",
        ),
        (
            '[[add_locals]]\nplace = "Tiel"\nlanguages = "nl"\ncapacity = 0\n',
            "[[add_locals]] block 1: 'capacity': input should be greater than or equal to 1",
        ),
        (
            "[rules]\nmin_shared_levle = 'A2'\n",
            "rules.min_shared_levle is not a setting; expected one of min_shared_level",
        ),
        (
            "[travel.neighbourhood_bus]\nrnus = 'sat'\n",
            "travel.neighbourhood_bus.rnus is not a setting; expected one of speed_kmh",
        ),
    ],
)
def test_mistakes_name_the_block_the_key_and_what_was_expected(
    base_dir: Path, body: str, words: str
) -> None:
    path = _scenario(base_dir, "x.toml", body)
    with pytest.raises(ConfigError) as caught:
        run_scenarios([path])
    assert str(caught.value).startswith("x.toml: ") and words in str(caught.value)


def test_extends_that_names_no_file_is_told_by_the_file_that_extends(base_dir: Path) -> None:
    path = base_dir / "child.toml"
    path.write_text('extends = "missing.toml"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"child\.toml: 'extends' names .*missing\.toml"):
        load_scenario(path)


def test_a_pin_with_an_unknown_id_names_the_scenario_file_and_block(base_dir: Path) -> None:
    path = _scenario(
        base_dir,
        "pin.toml",
        '[[pin]]\nnewcomer_id = "N1"\nlocal_id = "L1"\n'
        '[[pin]]\nnewcomer_id = "N99"\nlocal_id = "L1"\n',
    )
    with pytest.raises(RosterError) as caught:
        run_scenarios([path])
    first = caught.value.problems[0]
    assert first.file == "pin.toml, [[pin]] block 2" and first.column == "newcomer_id"


def test_the_command_line_says_what_it_read(
    base_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ok = _scenario(base_dir, "ok.toml", '[[add_locals]]\nplace = "Tiel"\nlanguages = "nl"\n')
    assert main(["whatif", str(ok)]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "Base: n.csv (6 rows) and l.csv (3 rows) read, every row accepted" in out
