"""Report formats. Each renders a :class:`Report` to text; the CLI prints it."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Sequence

from asynclint.rule import Finding


@dataclass
class Report:
    findings: List[Finding]
    files: Sequence[str] = ()
    # fixes: path -> list of fix descriptions, filled by --fix / json output
    fixes: Dict[int, dict] = field(default_factory=dict)
    show_fix_hint: bool = True
    unsafe_fixes: bool = False
    _sources: Dict[str, List[str]] = field(default_factory=dict)

    def lines(self, path: str) -> List[str]:
        """The file's lines, for snippets (empty when unreadable)."""
        if path not in self._sources:
            from asynclint.engine import SourceError, decode

            try:
                with open(path, "rb") as handle:
                    text = decode(handle.read())
            except (OSError, SourceError):
                text = ""
            self._sources[path] = _lines(text)
        return self._sources[path]

    def set_source(self, path: str, text: str) -> None:
        self._sources[path] = _lines(text)

    def applicable(self, finding: Finding) -> bool:
        """The finding would be fixed by --fix (or --fix --unsafe-fixes)."""
        return finding.fix == "safe" or (finding.fix == "unsafe" and self.unsafe_fixes)


def _lines(text: str) -> List[str]:
    """Lines as Python numbers them (a form feed or U+2028 ends none)."""
    from asynclint.engine import source_lines

    return [line.rstrip("\r\n") for line in source_lines(text)]


def display_path(path: str) -> str:
    if path == "-":
        return path
    if os.path.isabs(path):
        try:
            rel = os.path.relpath(path)
        except ValueError:
            return path
        return path if rel.startswith("..") else rel
    return os.path.normpath(path)


_RENDERERS = {
    "full": ("text", "full"),
    "concise": ("text", "concise"),
    "json": ("json_formats", "json_array"),
    "json-lines": ("json_formats", "json_lines"),
    "github": ("text", "github"),
    "gitlab": ("json_formats", "gitlab"),
    "sarif": ("sarif", "sarif"),
    "junit": ("junit", "junit"),
    "html": ("html", "html"),
}


def renderer(name: str) -> Callable[[Report], str]:
    """The function that renders format ``name`` (only its module is imported)."""
    import importlib

    module, function = _RENDERERS[name]
    return getattr(importlib.import_module(f"asynclint.output.{module}"), function)


FORMAT_NAMES = ("full", "concise", "json", "json-lines", "github", "gitlab", "sarif", "junit", "html")
TEXT_FORMATS = ("full", "concise")
