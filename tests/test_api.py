"""The public surface is what ``buddymatch/__init__.py`` exports, and nothing else."""

from __future__ import annotations

import inspect
import subprocess
import sys

import buddymatch


def test_all_is_sorted_and_complete() -> None:
    assert list(buddymatch.__all__) == sorted(buddymatch.__all__)
    public = {n for n in dir(buddymatch) if not n.startswith("_") and n not in ("annotations",)}
    modules = {n for n in public if inspect.ismodule(getattr(buddymatch, n))}
    # Subpackages show up as attributes once imported; everything else must be in __all__.
    assert public - modules - {"cli"} <= set(buddymatch.__all__)
    for name in buddymatch.__all__:
        assert hasattr(buddymatch, name)


def test_exports_come_from_private_modules_or_the_package() -> None:
    for name in buddymatch.__all__:
        obj = getattr(buddymatch, name)
        module = getattr(obj, "__module__", "buddymatch")
        assert module == "buddymatch" or module.startswith("buddymatch._"), (name, module)


def test_package_is_typed() -> None:
    from importlib import resources

    assert (resources.files("buddymatch") / "py.typed").is_file()


def test_the_command_line_reads_before_numpy_and_scipy_load() -> None:
    """``buddymatch match`` starts reading rosters before the numeric libraries load (they
    load while the bigger roster is read elsewhere), so importing the package, the command
    line and the readers must not pull them in."""
    code = (
        "import sys, buddymatch, buddymatch.cli, buddymatch._read, buddymatch._weights\n"
        "print(sorted(m for m in ('numpy', 'scipy', 'ortools', 'sklearn') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
    assert buddymatch.match.__module__ == "buddymatch._match"  # loaded on first use
