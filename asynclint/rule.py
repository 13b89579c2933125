"""The rule base class and the finding record.

A rule is one class: its code, slug name, message, fix safety and
documentation (the class docstring, under ruff's headings) live together.
The docstring's ``## Example`` and ``## Use instead`` code blocks are the
rule's examples: tests lint them and require a finding / no finding.
"""

from __future__ import annotations

import ast
import inspect
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Optional, Tuple

if TYPE_CHECKING:  # pragma: no cover
    from asynclint.context import FileContext

DOCS_URL = "https://asynclint.readthedocs.io/en/latest/rules/{code}.html"

SAFE = "safe"
UNSAFE = "unsafe"


@dataclass(frozen=True, order=True)
class Finding:
    """One diagnostic. Rows are 1-based; columns are 1-based characters."""

    path: str
    row: int
    col: int
    code: str
    message: str = field(compare=False)
    end_row: int = field(default=0, compare=False)
    end_col: int = field(default=0, compare=False)
    # "safe" / "unsafe" when the rule can fix this finding, else None
    fix: Optional[str] = field(default=None, compare=False)
    # the (row, col, end_row, end_col) of the node the fix edits, when it is
    # not the reported node (e.g. the coroutine a background task runs)
    fix_target: Optional[Tuple[int, int, int, int]] = field(default=None, compare=False)

    def to_dict(self) -> dict:
        return {
            "path": self.path,
            "row": self.row,
            "col": self.col,
            "end_row": self.end_row,
            "end_col": self.end_col,
            "code": self.code,
            "message": self.message,
            "fix": self.fix,
            "fix_target": list(self.fix_target) if self.fix_target else None,
        }

    @classmethod
    def from_dict(cls, data: dict) -> "Finding":
        target = data.get("fix_target")
        return cls(**{**data, "fix_target": tuple(target) if target else None})


# The prefilter gate of rules that only report inside an `async def`; one
# shared object, so a file is scanned for it once.
ASYNC_DEF = re.compile(rb"async\s+def\b")


class Lower:
    """A prefilter needle matched against the file's lowercased bytes.

    ``Lower(b"select")`` finds "SELECT", "Select" and "select" with one fast
    substring search; a compiled pattern is searched in the lowercased bytes.
    """

    __slots__ = ("needle",)

    def __init__(self, needle: Any) -> None:
        self.needle = needle

    def __repr__(self) -> str:
        return f"Lower({self.needle!r})"


class Rule:
    """Base class of every rule. Subclasses set the class attributes below.

    ``nodes`` lists the ``ast`` node types the engine dispatches to
    :meth:`check`; ``needles`` lists byte strings of which at least one must
    occur in a file for the rule to possibly report there, and ``requires``
    byte strings that must all occur (the prefilter). An empty ``needles``
    means "always run".
    """

    code: ClassVar[str] = ""
    name: ClassVar[str] = ""
    message: ClassVar[str] = ""
    fix: ClassVar[Optional[str]] = None
    fix_message: ClassVar[str] = ""
    nodes: ClassVar[Tuple[type, ...]] = ()
    # any one must occur: byte strings, or compiled byte patterns
    needles: ClassVar[Tuple[Any, ...]] = ()
    # each must occur (e.g. b"async"); an entry may be a pattern, or a tuple
    # of which any one must occur
    requires: ClassVar[Tuple[Any, ...]] = ()

    def check(self, node: ast.AST, ctx: "FileContext") -> None:  # pragma: no cover
        raise NotImplementedError

    @classmethod
    def needles_for(cls, settings) -> Tuple[Any, ...]:
        """The prefilter's needles under these settings (configurable rules add some)."""
        return cls.needles

    @classmethod
    def fix_available(cls, settings) -> bool:
        """Whether the fix can be offered under these settings (e.g. target-version)."""
        return cls.fix is not None

    # -- documentation -------------------------------------------------
    @classmethod
    def doc(cls) -> str:
        return inspect.cleandoc(cls.__doc__ or "")

    @classmethod
    def doc_section(cls, heading: str) -> str:
        text = cls.doc()
        match = re.search(
            r"^## " + re.escape(heading) + r"\s*\n(.*?)(?=^## |\Z)", text, re.S | re.M
        )
        return match.group(1).strip() if match else ""

    @classmethod
    def summary(cls) -> str:
        """One-line description: the first sentence of "What it does"."""
        what = " ".join(cls.doc_section("What it does").split())
        match = re.match(r"(.+?(?<!\.)(?<!\be\.g)(?<!\bi\.e)\.)(?!\.)(\s|$)", what)
        return match.group(1) if match else what

    @classmethod
    def examples(cls) -> Tuple[str, str]:
        """(bad, good) code from the Example and Use instead sections."""
        return _code_block(cls.doc_section("Example")), _code_block(
            cls.doc_section("Use instead")
        )

    @classmethod
    def url(cls) -> str:
        return DOCS_URL.format(code=cls.code)


def _code_block(section: str) -> str:
    match = re.search(r"```python\n(.*?)```", section, re.S)
    return match.group(1) if match else ""
