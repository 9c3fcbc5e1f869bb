"""The `buddymatch` command as a coordinator uses it."""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
import sys
from importlib import resources
from pathlib import Path

import pytest

from buddymatch.cli import EXIT_INPUT, main

SAMPLES = resources.files("buddymatch") / "data" / "samples"

NEWCOMERS = """\
nummer;naam;postcode;talen;beschikbaarheid;vervoer;max_reistijd;leeftijd;wil_nederlands_oefenen
N1;Zoë Öztürk;4001;ar:native|nl:A2;za|zo;fiets;30;31;ja
N2;José Müller;4001 AB;ti:native|en:B1;za;fiets|ov;45;;nee
N3;"=HYPERLINK(""http://x"";""klik"")";1000 AB;ar:moedertaal;za;fiets;30;;ja
N4;Ahmed Ali;4021;arabisch;za;fiets;30;40;ja
N5;Fatima Rahimi;;fa:native|en:A2;weekend;fiets;een uur;;ja
N1;Samir Haddad;4001;ar:native;za;fiets;30;;ja
"""
LOCALS = """\
nummer;naam;postcode;talen;beschikbaarheid;vervoer;capaciteit
L1;Anne de Vries;4001;nl:native|en:C1;za-ochtend|zo;fiets;2
L2;Kees Bakker;4002;nl:native|ar:B2;za;fiets;1
L3;Ingrid Smit;4001;nl:native;za;fiets;0
"""


def _write(path: Path, text: str) -> Path:
    path.write_bytes(text.replace("\n", "\r\n").encode("cp1252"))
    return path


@pytest.fixture
def rosters(tmp_path: Path) -> tuple[Path, Path]:
    return _write(tmp_path / "nieuwkomers.csv", NEWCOMERS), _write(tmp_path / "buddies.csv", LOCALS)


def test_match_goes_on_with_good_rows_and_names_every_bad_one(
    rosters: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out" / "matches.csv"
    code = main(["match", str(rosters[0]), str(rosters[1]), "-o", str(out)])
    text = capsys.readouterr().out
    assert code == 0
    # Rows as a spreadsheet numbers them: header row 1, so N3 is row 4.
    for row, column in [
        ("4", "postcode"),
        ("5", "talen"),
        ("6", "beschikbaarheid"),
        ("6", "max_reistijd"),
        ("7", "nummer"),
    ]:
        assert any(row in line and column in line for line in text.splitlines()), (row, column)
    for name in (
        "Zoë",
        "Öztürk",
        "José",
        "Müller",
        "HYPERLINK",
        "Ahmed",
        "Fatima",
        "Samir",
        "Anne",
        "Kees",
        "Ingrid",
    ):
        assert name not in text
    # A Dutch Excel roster (;) gives a matches.csv Dutch Excel opens: ; and decimal commas.
    rows = list(csv.DictReader(io.StringIO(out.read_text("utf-8-sig")), delimiter=";"))
    pairs = {r["newcomer_id"]: r["local_id"] for r in rows if r["local_id"]}
    assert pairs == {"N1": "L2", "N2": "L1"} or pairs == {"N1": "L1", "N2": "L1"}
    for r in rows:
        if r["local_id"]:
            assert "," in r["score"] and "." not in r["score"]
            assert float(r["score"].replace(",", ".")) > 0
    rejected = (tmp_path / "out" / "matches.rejected.csv").read_text("utf-8-sig")
    assert "Zoë" not in rejected  # accepted rows are not in the rejected file
    assert "José" not in rejected
    assert "'=HYPERLINK" in rejected  # kept, but never live
    assert "Samir Haddad" in rejected  # nothing the coordinator wrote is lost
    assert "capaciteit" in rejected and ";0" in rejected


def test_strict_stops_with_exit_code_2_and_writes_nothing(
    rosters: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "matches.csv"
    assert main(["match", str(rosters[0]), str(rosters[1]), "-o", str(out), "--strict"]) == 2
    assert not out.exists()
    assert "row" in capsys.readouterr().out.lower()


def test_no_formula_cell_is_left_live(tmp_path: Path) -> None:
    out = tmp_path / "m.csv"
    with (
        resources.as_file(SAMPLES / "rotterdam_newcomers.csv") as n,
        resources.as_file(SAMPLES / "rotterdam_locals.csv") as loc,
    ):
        assert main(["match", str(n), str(loc), "-o", str(out), "--show", "0"]) == 0
    cells = [c for row in csv.reader(io.StringIO(out.read_text("utf-8-sig"))) for c in row]
    assert cells and not [c for c in cells if c[:1] in ("=", "+", "-", "@")]
    assert any(c.startswith("'-") for c in cells)  # negative contributions, escaped


def test_same_seed_same_file(tmp_path: Path) -> None:
    with (
        resources.as_file(SAMPLES / "rivierenland_newcomers.csv") as n,
        resources.as_file(SAMPLES / "rivierenland_locals.csv") as loc,
    ):
        for name in ("a.csv", "b.csv"):
            main(
                [
                    "match",
                    str(n),
                    str(loc),
                    "-o",
                    str(tmp_path / name),
                    "--seed",
                    "7",
                    "--show",
                    "0",
                ]
            )
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()


def test_validate_reports_problems_with_exit_code_2(
    rosters: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["validate", str(rosters[0]), "--kind", "newcomers"]) == 2
    assert "talen" in capsys.readouterr().out
    with resources.as_file(SAMPLES / "rotterdam_locals.csv") as loc:
        assert main(["validate", str(loc), "--kind", "locals"]) == 0


@pytest.mark.parametrize(
    "args",
    [
        ["match", "missing.csv", "missing.csv", "-o", "x.csv"],
        ["validate", "missing.csv", "--kind", "locals"],
    ],
)
def test_user_errors_exit_2_without_traceback(
    args: list[str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(args) == 2
    out = capsys.readouterr()
    assert "Traceback" not in out.out + out.err and "not found" in out.out


def test_bad_weights_and_bad_pins_exit_2(
    rosters: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    weights = tmp_path / "w.toml"
    weights.write_text("[weights]\ntravle = -0.1\n", encoding="utf-8")
    args = ["match", str(rosters[0]), str(rosters[1]), "-o", str(tmp_path / "m.csv")]
    assert main([*args, "--weights", str(weights)]) == 2
    assert "travle" in capsys.readouterr().out
    pins = tmp_path / "pinned.csv"
    pins.write_text("newcomer_id,local_id\nN1,L9\n", encoding="utf-8")
    assert main([*args, "--pinned", str(pins)]) == 2
    out = capsys.readouterr().out
    assert "pinned.csv" in out and "L9" in out


def test_usage_errors_exit_2() -> None:
    with pytest.raises(SystemExit) as exc:
        main(["match", "only-one.csv"])
    assert exc.value.code == 2


def test_the_installed_command_runs_the_demo(tmp_path: Path) -> None:
    exe = shutil.which("buddymatch", path=str(Path(sys.executable).parent))
    assert exe, "the buddymatch console script is not installed"
    run = subprocess.run(
        [exe, "demo", "-o", str(tmp_path), "--show", "3"],
        capture_output=True,
        text=True,
        env={"NO_COLOR": "1", "PATH": "/usr/bin:/bin"},
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    assert "Rotterdam" in run.stdout and "Rivierenland" in run.stdout
    assert "\x1b[" not in run.stdout  # NO_COLOR respected
    assert (tmp_path / "rotterdam_matches.csv").is_file()


def test_the_installed_command_ends_with_main_s_exit_code_and_all_its_output(
    tmp_path: Path,
) -> None:
    exe = shutil.which("buddymatch", path=str(Path(sys.executable).parent))
    assert exe, "the buddymatch console script is not installed"
    missing = tmp_path / "nieuwkomers.csv"
    run = subprocess.run(
        [exe, "match", str(missing), str(missing), "-o", str(tmp_path / "m.csv")],
        capture_output=True,
        text=True,
        env={"NO_COLOR": "1", "PATH": "/usr/bin:/bin"},
        timeout=120,
    )
    assert run.returncode == EXIT_INPUT
    assert "file not found" in run.stdout  # flushed before the quick exit


def test_a_file_that_is_not_a_roster_stops_the_run(
    rosters: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    wrong = _write(tmp_path / "adressen.csv", "straat;huisnummer\nDorpsstraat;1\n")
    out = tmp_path / "m.csv"
    assert main(["match", str(wrong), str(rosters[1]), "-o", str(out)]) == 2
    assert not out.exists()
    assert "adressen.csv" in capsys.readouterr().out
