"""Reading a TOML file a user wrote, with errors that name the file."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from buddymatch._errors import ConfigError


def read_toml(path: Path, *, what: str = "file") -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path.name}: {what} not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path.name}: not valid TOML ({exc})") from None
