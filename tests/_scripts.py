"""The repository's scripts (``fixtures/``, ``benchmarks/``) as modules, for tests.

They are files, not packages, so they are loaded by path, once per session under one
name (``fixtures/generate.py`` → ``buddymatch_fixtures_generate``), shared by every test
file and the benchmarks' conftest.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

REPO = Path(__file__).resolve().parent.parent


def load_script(relative: str) -> ModuleType:
    """The script at ``relative`` (to the repository root), e.g. ``"fixtures/generate.py"``."""
    path = REPO / relative
    name = "buddymatch_" + "_".join(path.relative_to(REPO).with_suffix("").parts)
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up while the file executes
    spec.loader.exec_module(module)
    return module
