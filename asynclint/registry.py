"""Discovers every Rule subclass in ``asynclint.rules`` (no hand-kept list)."""

from __future__ import annotations

import importlib
import pkgutil
import re
from typing import Dict, List, Optional, Type

from asynclint.rule import Rule

CODE_RE = re.compile(r"^HNG\d{3}$")


class RegistryError(Exception):
    pass


class SyntaxErrorRule(Rule):
    """## What it does
    Reports a file that asynclint could not decode or parse.

    Only files in which a selected rule could report are decoded and parsed
    (a byte-level prefilter skips the rest, which is most of a large tree),
    so a broken file that mentions none of the names the rules look for is
    not reported: Python, your tests and your other linters will be.

    ## Why is this bad?
    A file that does not parse cannot be checked, so every hang it may hide
    goes unseen; Python itself will refuse to import it.

    ## Example
    ```python
    async def handler(:
        ...
    ```

    ## Use instead
    ```python
    async def handler():
        ...
    ```

    ## Fix safety
    There is no fix.

    ## References
    - [Python: the `ast` module](https://docs.python.org/3/library/ast.html)
    - [PEP 263: source code encodings](https://peps.python.org/pep-0263/)
    """

    code = "HNG001"
    name = "syntax-error"
    message = "File could not be parsed: {detail}"


class InternalErrorRule(Rule):
    """## What it does
    Reports that one of asynclint's rules raised an exception on this file.

    ## Why is this bad?
    The failing rule could not check the file, so its findings may be
    missing. The other rules' findings for the file still stand. Please
    report the file and the message as a bug.

    ## Example
    ```python
    ```

    ## Use instead
    ```python
    ```

    ## Fix safety
    There is no fix.

    ## References
    - [asynclint issue tracker](https://github.com/asynclint/asynclint/issues)
    """

    code = "HNG002"
    name = "internal-error"
    message = "Internal error in {rule}: {detail}"


_RULES: Optional[Dict[str, Type[Rule]]] = None


def _collect(classes: List[Type[Rule]]) -> Dict[str, Type[Rule]]:
    found: Dict[str, Type[Rule]] = {}
    names: Dict[str, str] = {}
    for cls in classes:
        if not CODE_RE.match(cls.code):
            raise RegistryError(f"{cls.__qualname__}: bad rule code {cls.code!r}")
        if cls.code in found and found[cls.code] is not cls:
            raise RegistryError(
                f"duplicate rule code {cls.code}: "
                f"{found[cls.code].__qualname__} and {cls.__qualname__}"
            )
        if cls.name in names and names[cls.name] != cls.code:
            raise RegistryError(f"duplicate rule name {cls.name!r}")
        found[cls.code] = cls
        names[cls.name] = cls.code
    return dict(sorted(found.items()))


def _subclasses(base: type) -> List[type]:
    out = []
    for sub in base.__subclasses__():
        out.append(sub)
        out.extend(_subclasses(sub))
    return out


def all_rules() -> Dict[str, Type[Rule]]:
    """code -> rule class, sorted by code."""
    global _RULES
    if _RULES is None:
        import asynclint.rules as package

        for info in pkgutil.iter_modules(package.__path__):
            importlib.import_module(f"{package.__name__}.{info.name}")
        classes = [c for c in _subclasses(Rule) if c.code and c.__module__.startswith("asynclint.")]
        _RULES = _collect(classes)
    return _RULES


def get_rule(code: str) -> Optional[Type[Rule]]:
    return all_rules().get(code.upper())
