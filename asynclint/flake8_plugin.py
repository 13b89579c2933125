"""flake8 plugin: the same engine on the tree flake8 already parsed.

Selection and ``# noqa`` are flake8's (``--select HNG``, ``--extend-ignore``);
``# asynclint: noqa`` file comments and the ``[tool.asynclint]`` rule settings
(``fix-timeout``, ``extend-blocking-calls``) are honoured here.
"""

from __future__ import annotations

import ast
import os
from typing import Dict, Iterator, Sequence, Tuple

from asynclint import __version__, noqa
from asynclint.config import Settings, plugin_settings
from asynclint.engine import run_rules
from asynclint.registry import all_rules

_SETTINGS: Dict[str, Tuple[Settings, str]] = {}


def _settings_for(filename: str) -> Tuple[Settings, str]:
    """(settings, config error or "") for a file's folder; read once per folder."""
    directory = os.path.dirname(os.path.abspath(filename)) if filename not in ("stdin", "-") else os.getcwd()
    if directory not in _SETTINGS:
        _SETTINGS[directory] = plugin_settings(directory)
    return _SETTINGS[directory]


class Plugin:
    name = "asynclint"
    version = __version__

    def __init__(self, tree: ast.Module, lines: Sequence[str], filename: str) -> None:
        self.tree = tree
        self.lines = lines
        self.filename = filename

    def run(self) -> Iterator[Tuple[int, int, str, type]]:
        settings, error = _settings_for(self.filename)
        if error:
            yield 1, 0, f"HNG002 invalid asynclint configuration: {error}", type(self)
        source = "".join(self.lines)
        whole, file_codes = noqa.file_suppression(source)
        if whole:
            return
        codes = frozenset(all_rules())
        findings = run_rules(self.tree, self.lines, self.filename, settings, codes)
        for f in sorted(findings):
            if file_codes and f.code.startswith(file_codes):
                continue
            yield f.row, f.col - 1, f"{f.code} {f.message}", type(self)
