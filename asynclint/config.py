"""``[tool.asynclint]`` settings: discovery, validation, rule selection."""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable, Dict, FrozenSet, List, Optional, Sequence, Tuple


DEFAULT_EXCLUDES = [
    ".git",
    ".hg",
    ".svn",
    ".venv",
    "venv",
    "__pycache__",
    "build",
    "dist",
    "node_modules",
    ".tox",
    ".nox",
    ".eggs",
    "*.egg-info",
    ".mypy_cache",
    ".pytest_cache",
    ".ruff_cache",
    ".asynclint_cache",
    "__pypackages__",
    "site-packages",
]

TARGET_VERSIONS = {f"py3{minor}": (3, minor) for minor in range(8, 15)}


class ConfigError(Exception):
    """A problem with the configuration or the command line (exit code 2)."""


@dataclass(frozen=True)
class Option:
    name: str
    kind: str
    default: Any
    doc: str
    validate: Callable[[str, Any], Any]


def _str_list(key: str, value: Any) -> List[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"`{key}` must be a list of strings, got {value!r}")
    return list(value)


def _codes(key: str, value: Any) -> List[str]:
    codes = _str_list(key, value)
    for code in codes:
        check_selector(code, key)
    return [c.upper() for c in codes]


def _per_file(key: str, value: Any) -> Dict[str, List[str]]:
    if not isinstance(value, dict):
        raise ConfigError(f"`{key}` must be a table of glob = [codes], got {value!r}")
    return {glob: _codes(f"{key}.{glob}", codes) for glob, codes in value.items()}


def _target(key: str, value: Any) -> Tuple[int, int]:
    if not isinstance(value, str) or value not in TARGET_VERSIONS:
        choices = ", ".join(TARGET_VERSIONS)
        raise ConfigError(f"`{key}` must be one of {choices}, got {value!r}")
    return TARGET_VERSIONS[value]


def _timeout(key: str, value: Any) -> float:
    # not inf or nan (TOML has both): a fix would write `total=inf` into the code
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < float("inf"):
        raise ConfigError(f"`{key}` must be a positive number of seconds, got {value!r}")
    return value


def _qualified_names(key: str, value: Any) -> List[str]:
    names = _str_list(key, value)
    for name in names:
        if not re.fullmatch(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)+", name):
            raise ConfigError(
                f"`{key}` entries must be qualified names like 'pkg.mod.func', got {name!r}"
            )
    return names


def _baseline(key: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"`{key}` must be the path of a baseline file (e.g. 'asynclint-baseline.json'), got {value!r}")
    return value


OPTIONS = [
    Option("select", "list[str]", ["ALL"], "Rule codes or prefixes to enable (`ALL`, `HNG1`, `HNG100`).", _codes),
    Option("ignore", "list[str]", [], "Rule codes or prefixes to disable.", _codes),
    Option("extend-select", "list[str]", [], "Codes or prefixes enabled on top of `select`.", _codes),
    Option(
        "per-file-ignores",
        "dict[str, list[str]]",
        {},
        "Glob (relative to the config file) to codes ignored in matching files.",
        _per_file,
    ),
    Option("exclude", "list[str]", DEFAULT_EXCLUDES, "Gitignore-style patterns of files and folders never linted (replaces the defaults).", _str_list),
    Option("extend-exclude", "list[str]", [], "Patterns excluded on top of `exclude`.", _str_list),
    Option(
        "target-version",
        "str",
        None,
        "Lowest Python the code must run on (`py39` ... `py314`); defaults to `project.requires-python`, else `py39`. Fixes that need a newer Python are not offered.",
        _target,
    ),
    Option("fix-timeout", "number", 30, "Seconds written by fixes that add a timeout.", _timeout),
    Option(
        "extend-blocking-calls",
        "list[str]",
        [],
        "Extra qualified names (`pkg.mod.func`) that HNG110 treats as blocking.",
        _qualified_names,
    ),
    Option(
        "baseline",
        "str",
        None,
        "Baseline file (relative to the config file) of accepted findings, written by `--write-baseline FILE`: only findings not recorded in it are reported. `--baseline FILE` overrides it, `--no-baseline` ignores it; a missing or unreadable file is an error. See [baseline.md](baseline.md).",
        _baseline,
    ),
]
OPTION_BY_KEY = {o.name: o for o in OPTIONS}


def check_selector(selector: str, where: str) -> None:
    from asynclint.registry import all_rules

    sel = selector.upper()
    if sel == "ALL":
        return
    if not any(code.startswith(sel) for code in all_rules()) or not re.fullmatch(r"HNG\d{0,3}", sel):
        raise ConfigError(f"{where}: unknown rule selector {selector!r}")


@dataclass(frozen=True)
class Settings:
    select: Tuple[str, ...] = ("ALL",)
    ignore: Tuple[str, ...] = ()
    extend_select: Tuple[str, ...] = ()
    per_file_ignores: Tuple[Tuple[str, Tuple[str, ...]], ...] = ()
    exclude: Tuple[str, ...] = tuple(DEFAULT_EXCLUDES)
    extend_exclude: Tuple[str, ...] = ()
    target_version: Tuple[int, int] = (3, 9)
    fix_timeout: float = 30
    extend_blocking_calls: Tuple[str, ...] = ()
    # not in key(): it filters the report, it does not change any file's findings
    baseline: Optional[str] = None
    root: str = "."
    config_path: Optional[str] = None
    _cache: Dict[str, Any] = field(default_factory=dict, compare=False, hash=False, repr=False)

    def key(self) -> str:
        """A stable description of everything that changes the findings."""
        return repr(
            (
                self.select,
                self.ignore,
                self.extend_select,
                self.per_file_ignores,
                self.target_version,
                self.fix_timeout,
                self.extend_blocking_calls,
            )
        )

    def selected_codes(self) -> FrozenSet[str]:
        if "selected" not in self._cache:
            from asynclint.registry import all_rules

            self._cache["selected"] = frozenset(
                resolve_selection(all_rules(), self.select + self.extend_select, self.ignore)
            )
        return self._cache["selected"]

    def codes_for(self, path: str) -> FrozenSet[str]:
        """Selected codes minus the per-file ignores matching ``path``."""
        codes = self.selected_codes()
        if not self.per_file_ignores:
            return codes
        rel = _relative(path, self.root)
        ignored: List[str] = []
        for glob, globbed in self.per_file_ignores:
            spec = self._cache.get(("pfi", glob))
            if spec is None:
                import pathspec

                spec = pathspec.PathSpec.from_lines("gitwildmatch", [glob])
                self._cache[("pfi", glob)] = spec
            if spec.match_file(rel) or spec.match_file(os.path.basename(path)):
                ignored.extend(globbed)
        if "ALL" in ignored:
            return frozenset()
        return frozenset(c for c in codes if not c.startswith(tuple(ignored)))


def _relative(path: str, root: str) -> str:
    try:
        return os.path.relpath(os.path.abspath(path), os.path.abspath(root)).replace(os.sep, "/")
    except ValueError:  # different drive
        return path.replace(os.sep, "/")


def resolve_selection(codes: Sequence[str], select: Sequence[str], ignore: Sequence[str]) -> List[str]:
    """For each code, the most specific matching selector decides; ties go to ignore."""
    chosen = []
    for code in codes:
        best = -1
        enabled = False
        for selectors, on in ((select, True), (ignore, False)):
            for sel in selectors:
                sel = sel.upper()
                length = 0 if sel == "ALL" else len(sel)
                if sel != "ALL" and not code.startswith(sel):
                    continue
                if length > best or (length == best and not on):
                    best, enabled = length, on
        if enabled:
            chosen.append(code)
    return chosen


def find_config(start: Path) -> Optional[Path]:
    """The nearest asynclint.toml, or pyproject.toml with [tool.asynclint], above start."""
    start = start.resolve()
    if start.is_file() or not start.exists():
        start = start.parent
    for directory in [start, *start.parents]:
        candidate = directory / "asynclint.toml"
        if candidate.is_file():
            return candidate
        candidate = directory / "pyproject.toml"
        if candidate.is_file():
            try:
                data = _read_toml(candidate)
            except ConfigError:
                return candidate  # report the broken file rather than skip it
            if "asynclint" in data.get("tool", {}):
                return candidate
    return None


def _read_toml(path: Path) -> Dict[str, Any]:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib
    try:
        with open(path, "rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None


def _requires_python_target(data: Dict[str, Any]) -> Optional[Tuple[int, int]]:
    spec = data.get("project", {}).get("requires-python")
    if isinstance(spec, str):
        match = re.search(r">=?\s*3\.(\d+)", spec)
        if match:
            return (3, int(match.group(1)))
    return None


def parse_table(table: Dict[str, Any], where: str) -> Dict[str, Any]:
    """Validate a [tool.asynclint] table; returns Settings field values."""
    if not isinstance(table, dict):
        raise ConfigError(f"{where}: [tool.asynclint] must be a table")
    values: Dict[str, Any] = {}
    for key, raw in table.items():
        option = OPTION_BY_KEY.get(key)
        if option is None:
            known = ", ".join(sorted(OPTION_BY_KEY))
            raise ConfigError(f"{where}: unknown key `{key}` in [tool.asynclint] (known keys: {known})")
        try:
            value = option.validate(key, raw)
        except ConfigError as exc:
            raise ConfigError(f"{where}: {exc}") from None
        values[key.replace("-", "_")] = value
    return values


def load_settings(path: Optional[Path]) -> Settings:
    """Settings from a config file (None: defaults)."""
    if path is None:
        return Settings()
    data = _read_toml(path)
    if path.name == "pyproject.toml":
        table = data.get("tool", {}).get("asynclint", {})
    else:
        table = data.get("tool", {}).get("asynclint", data)
    values = parse_table(table, str(path))
    if "target_version" not in values:
        target = _requires_python_target(data)
        if target is None and path.name != "pyproject.toml":
            sibling = path.parent / "pyproject.toml"
            if sibling.is_file():
                try:
                    target = _requires_python_target(_read_toml(sibling))
                except ConfigError:
                    target = None
        if target is not None:
            values["target_version"] = target
    return build_settings(values, root=str(path.parent), config_path=str(path))


def build_settings(values: Dict[str, Any], root: str = ".", config_path: Optional[str] = None) -> Settings:
    converted: Dict[str, Any] = {}
    for key, value in values.items():
        if key == "per_file_ignores":
            value = tuple((glob, tuple(codes)) for glob, codes in sorted(value.items()))
        elif isinstance(value, list):
            value = tuple(value)
        converted[key] = value
    return Settings(root=root, config_path=config_path, **converted)


def with_overrides(settings: Settings, **changes: Any) -> Settings:
    changes = {k: v for k, v in changes.items() if v is not None}
    return replace(settings, _cache={}, **changes)


def plugin_settings(directory: str) -> Tuple[Settings, str]:
    """The rule settings for a flake8 or pylint run in ``directory``.

    Selection belongs to the host linter, so only the settings rules read
    (``fix-timeout``, ``extend-blocking-calls``, ``target-version``) are
    kept. Returns (settings, "") or (defaults, the configuration error).
    """
    try:
        found = find_config(Path(directory))
        loaded = load_settings(found) if found is not None else Settings()
    except ConfigError as exc:
        return Settings(), str(exc)
    return (
        Settings(
            fix_timeout=loaded.fix_timeout,
            extend_blocking_calls=loaded.extend_blocking_calls,
            target_version=loaded.target_version,
        ),
        "",
    )
