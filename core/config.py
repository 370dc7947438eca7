"""User-editable configuration files under ``data/``: reporter aliases and extra wire agencies."""

from __future__ import annotations

import hashlib
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from core.errors import ConfigError
from core.parsing.live_feed import DEFAULT_AGENCIES

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = PROJECT_ROOT / "data"
DEFAULT_REPORTERS_FILE = Path(os.environ.get("CAIXIN_REPORTERS") or DATA_DIR / "reporters.toml")

_LINE = re.compile(r"line (\d+)")


def toml_error(path: Path, error: tomllib.TOMLDecodeError) -> ConfigError:
    """A TOML syntax error as a ``ConfigError`` naming the file and line."""
    match = _LINE.search(str(error))
    message = str(error).split(" (at line")[0].split(" (at end of document")[0]
    line = int(match.group(1)) if match else None
    if line is None and "end of document" in str(error):
        try:
            line = max(1, len(path.read_text(encoding="utf-8").splitlines()))
        except (OSError, UnicodeDecodeError):
            line = None
    return ConfigError(str(path), f"TOML syntax error: {message}", line=line)


def load_toml(path: Path) -> dict[str, object]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as error:
        raise toml_error(path, error) from None
    except UnicodeDecodeError as error:
        raise ConfigError(str(path), f"not UTF-8 text (byte {error.start})") from None
    except OSError as error:
        raise ConfigError(str(path), f"cannot be read ({error.strerror or error})") from None


def key_line(path: Path, key: str) -> int | None:
    """The first line of a TOML file that mentions ``key``, for error messages."""
    try:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if key in line:
                return number
    except OSError:
        return None
    return None


@dataclass(frozen=True, slots=True)
class Reporters:
    """Aliases (variant -> canonical name) and the agency names (lower-case)."""

    aliases: dict[str, str] = field(default_factory=dict)
    agencies: frozenset[str] = DEFAULT_AGENCIES
    fingerprint: str = "default"

    def canonical(self, name: str) -> str:
        return self.aliases.get(name, name)


def load_reporters(path: Path | None = None) -> Reporters:
    """Read ``data/reporters.toml`` (or ``path``); a missing default file means no aliases.

    Raises ``ConfigError`` naming the line and key of a malformed entry.
    """
    path = path or DEFAULT_REPORTERS_FILE
    if not path.exists():
        if path == DEFAULT_REPORTERS_FILE:
            return Reporters()
        raise ConfigError(str(path), "no such file")
    data = load_toml(path)
    aliases: dict[str, str] = {}
    table = data.get("aliases", {})
    if not isinstance(table, dict):
        raise ConfigError(
            str(path), "must be a table of name = [aliases]", key_line(path, "aliases"), "aliases"
        )
    for canonical, variants in table.items():
        if isinstance(variants, str):
            variants = [variants]
        if not isinstance(variants, list) or not all(isinstance(v, str) for v in variants):
            raise ConfigError(
                str(path), "aliases must be a list of names", key_line(path, canonical), canonical
            )
        for variant in variants:
            aliases[" ".join(variant.split())] = " ".join(canonical.split())
    agencies_table = data.get("agencies", {})
    names = agencies_table.get("names", []) if isinstance(agencies_table, dict) else None
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise ConfigError(str(path), "must be a list of names", key_line(path, "names"), "agencies.names")
    agencies = DEFAULT_AGENCIES | {n.strip().lower() for n in names if n.strip()}
    fingerprint = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
    return Reporters(aliases, agencies, fingerprint)
