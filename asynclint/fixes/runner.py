"""Fix a file: lint, apply the applicable fixes, re-lint until nothing changes, write."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import List, Optional, Tuple

from asynclint.config import Settings
from asynclint.engine import SourceError, decode, lint_bytes, lint_text
from asynclint.fixes import apply_fixes, text_edits
from asynclint.rule import Finding
from asynclint.writer import Original, WriteError, write_text

MAX_PASSES = 10


def applicable(finding: Finding, unsafe: bool) -> bool:
    return finding.fix == "safe" or (unsafe and finding.fix == "unsafe")


def fix_text(text: str, path: str, settings: Settings, unsafe: bool) -> Tuple[str, List[Finding], List[Finding]]:
    """(fixed text, findings fixed, findings remaining)."""
    findings = lint_text(text, path, settings)
    fixed: List[Finding] = []
    for _ in range(MAX_PASSES):
        todo = [f for f in findings if applicable(f, unsafe)]
        if not todo:
            break
        result = apply_fixes(text, todo, settings)
        if not result.applied or result.text == text:
            break
        text = result.text
        fixed.extend(result.applied)
        findings = lint_text(text, path, settings)
    return text, fixed, findings


@dataclass
class FileOutcome:
    path: str
    old_text: str = ""
    new_text: str = ""
    fixed: List[Finding] = field(default_factory=list)
    remaining: List[Finding] = field(default_factory=list)
    error: Optional[str] = None
    warning: Optional[str] = None

    @property
    def changed(self) -> bool:
        return self.new_text != self.old_text


def fix_file(path: str, settings: Settings, unsafe: bool, write: bool) -> FileOutcome:
    try:
        original = Original.read(path)
    except OSError as exc:
        return FileOutcome(path, error=f"{path}: cannot read file: {exc.strerror or exc}")
    try:
        text = decode(original.data)
    except SourceError:
        return FileOutcome(path, remaining=lint_bytes(original.data, path, settings))
    new_text, fixed, remaining = fix_text(text, path, settings, unsafe)
    outcome = FileOutcome(path, text, new_text, fixed, remaining)
    if write and outcome.changed:
        try:
            write_text(original, new_text)
        except WriteError as exc:
            # nothing was written: report the findings as they are in the file
            if exc.changed:
                outcome.warning = str(exc)
            else:
                outcome.error = str(exc)
            outcome.new_text = text
            outcome.fixed = []
            outcome.remaining = lint_text(text, path, settings)
    return outcome


def fix_edits(text: str, finding: Finding, settings: Settings) -> Optional[List[dict]]:
    """The edits that fixing this one finding would make, or None when no fix applies."""
    result = apply_fixes(text, [finding], settings)
    if not result.applied:
        return None
    return text_edits(text, result.text)
