"""The README's library example runs as written, and its commands are the ones CI uses."""

from __future__ import annotations

import re
import shutil
from importlib import resources
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text("utf-8")


def test_library_example_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    section = README.split("## The library", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S)
    assert code, "no python example in the README's library section"
    samples = resources.files("buddymatch") / "data" / "samples"
    for name in ("newcomers", "locals"):
        with resources.as_file(samples / f"rotterdam_{name}.csv") as src:
            shutil.copy(src, tmp_path / f"{name}.csv")
    monkeypatch.chdir(tmp_path)
    exec(compile(code.group(1), "README.md", "exec"), {})
    out = capsys.readouterr().out
    assert "newcomers matched" in out
    assert (tmp_path / "matches.csv").stat().st_size > 0


def test_ci_runs_the_readme_test_command() -> None:
    commands = re.findall(r"```bash\n(.*?)```", README.split("## The command line")[0], re.S)
    assert len(commands) == 2, "the README holds exactly two set-up commands"
    assert "buddymatch demo" in commands[0]
    test_command = commands[1].strip()
    assert test_command in (ROOT / ".ci" / "run").read_text("utf-8")
