"""Small helpers over ``ast`` shared by the rule families."""

from __future__ import annotations

import ast
from typing import Optional

from asynclint.context import iter_scope  # noqa: F401  (re-exported for rules)


def keyword(call: ast.Call, name: str) -> Optional[ast.keyword]:
    for kw in call.keywords:
        if kw.arg == name:
            return kw
    return None


def has_kwargs_splat(call: ast.Call) -> bool:
    """``f(**options)``: any keyword may be inside, so none is missing."""
    return any(kw.arg is None for kw in call.keywords)


def has_keyword(call: ast.Call, name: str) -> bool:
    """The keyword is passed explicitly, or may be inside ``**kwargs``."""
    return keyword(call, name) is not None or has_kwargs_splat(call)


def is_none(node: Optional[ast.AST]) -> bool:
    return isinstance(node, ast.Constant) and node.value is None


def is_true(node: Optional[ast.AST]) -> bool:
    return isinstance(node, ast.Constant) and node.value is True


def is_constant_true(node: ast.AST) -> bool:
    """``while True`` / ``while 1`` / ``while "x"``: a test that is always true."""
    return isinstance(node, ast.Constant) and bool(node.value) and not isinstance(node.value, type(Ellipsis))


def method_call(node: ast.AST, *names: str) -> Optional[ast.Call]:
    """``node`` if it is a call ``<something>.<name>(...)`` for one of ``names``."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in names:
        return node
    return None
