"""pylint plugin: asynclint's rules as pylint messages.

Load it with ``pylint --load-plugins=asynclint.pylint_plugin`` (or
``load-plugins = ["asynclint.pylint_plugin"]`` under ``[tool.pylint.main]``).
For each module pylint checks, the plugin reads the module's source from
astroid, runs asynclint's engine on it once, and reports every finding as a
pylint message at the finding's line and column.

Message ids
-----------
Every asynclint rule is one pylint message. Its symbol is the rule's slug
(``aiohttp-session-without-timeout``) and its id is ``W7`` followed by the
three digits of the rule code::

    HNG001 -> W7001    HNG100 -> W7100    HNG202 -> W7202    HNG400 -> W7400

pylint takes the two digits after the letter as a checker id that every
message of one checker shares, so the plugin registers one checker per rule
family (the hundreds digit): checker ids 70 to 74, which neither pylint's
own checkers nor its bundled extensions use (as of pylint 4.1 those use
00-37, 47-49, 55, 56, 60-63 and 90; a test checks the installed pylint). All messages are warnings (``W``), and all the checkers
are named ``asynclint``, so ``--enable=asynclint`` / ``--disable=asynclint``
switch every rule at once. Where a slug is already a pylint symbol it gets
an ``asynclint-`` prefix: HNG001 is ``asynclint-syntax-error``, because
pylint's own ``syntax-error`` (E0001) exists. pylint reports files it cannot
parse itself with E0001 and never hands them to plugins, so W7001 only
appears for a file astroid could build but Python's ``ast`` could not
analyse.

Suppression and settings
------------------------
Which messages are reported is pylint's business: ``--disable``,
``--enable`` and ``# pylint: disable=<symbol or id>`` comments. ``# noqa``
comments are NOT read in this mode (they are flake8's and the asynclint
command line's); the file-level ``# asynclint: noqa`` and
``# asynclint: noqa: CODES`` comments are. asynclint's own ``select``,
``ignore``, ``per-file-ignores`` and exclusion settings are not used; the
rule settings of the nearest ``[tool.asynclint]`` table (or
``asynclint.toml``) are (``extend-blocking-calls``, ``fix-timeout``,
``target-version``). An invalid table is reported as W7002
(``internal-error``) on line 1 of each module.

Columns are 0-based character offsets (pylint's convention is 0-based;
asynclint counts characters, not UTF-8 bytes, also on non-ASCII lines).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Dict, List, Optional, Tuple, Type

from pylint.checkers import BaseChecker

from asynclint import noqa
from asynclint.config import Settings, plugin_settings
from asynclint.engine import SourceError, decode, parse, run_rules, source_lines, syntax_finding
from asynclint.registry import InternalErrorRule, all_rules
from asynclint.rule import Finding, Rule

if TYPE_CHECKING:  # pragma: no cover
    from astroid import nodes
    from pylint.lint import PyLinter

CHECKER_NAME = "asynclint"
MSGID_PREFIX = "W7"

# slugs that pylint (or one of its bundled extensions) already uses as a symbol
SYMBOL_OVERRIDES = {"HNG001": "asynclint-syntax-error"}


def msgid_for(code: str) -> str:
    """The pylint message id of an asynclint code: ``HNG100`` -> ``W7100``."""
    return MSGID_PREFIX + code[3:]


def code_for(msgid: str) -> str:
    """The asynclint code of a pylint message id: ``W7100`` -> ``HNG100``."""
    return "HNG" + msgid[len(MSGID_PREFIX):]


def symbol_for(code: str) -> str:
    """The pylint symbol of an asynclint code: the rule's slug, unless pylint has it."""
    return SYMBOL_OVERRIDES.get(code) or all_rules()[code].name


def message_table() -> List[Tuple[str, str, str]]:
    """(asynclint code, pylint msgid, pylint symbol) for every rule, by code."""
    return [(code, msgid_for(code), symbol_for(code)) for code in all_rules()]


def _description(rule: Type[Rule]) -> str:
    return f"{rule.summary()} (asynclint {rule.code}; {rule.url()})"


class _Shared:
    """What the family checkers registered together share: the config cache."""

    def __init__(self) -> None:
        self.settings: Dict[str, Tuple[Settings, str]] = {}


# The module visit already linted. pylint makes a new ``file_state`` for every
# module it checks, so "this file_state was seen" means "this module is done".
# Kept per process, not per checker: pylint 3 re-registers plugins in each
# ``-j`` worker, which leaves checkers from two register() calls in play.
_DONE: List[object] = [None]


class AsynclintChecker(BaseChecker):
    """Runs asynclint's engine on each module and reports its findings.

    One subclass per rule family (see :func:`register`); whichever of them
    pylint visits a module with first lints it and reports every finding,
    and pylint drops the messages that are disabled there.
    """

    name = CHECKER_NAME
    msgs: Dict[str, Tuple[str, str, str]] = {}

    def __init__(self, linter: "PyLinter", shared: Optional[_Shared] = None) -> None:
        super().__init__(linter)
        self._shared = shared if shared is not None else _Shared()

    def visit_module(self, node: "nodes.Module") -> None:
        visit = getattr(self.linter, "file_state", None) or node
        if _DONE[0] is visit:
            return
        _DONE[0] = visit
        for finding in self._findings(node):
            self._report(node, finding)

    # -- linting -----------------------------------------------------------
    def _findings(self, node: "nodes.Module") -> List[Finding]:
        data = _source(node)
        if data is None:
            return []
        path = node.file or node.name
        settings, error = self._settings_for(path)
        out: List[Finding] = []
        if error:
            message = f"invalid asynclint configuration: {error}"
            out.append(Finding(path, 1, 1, InternalErrorRule.code, message, 1, 1))
        try:
            text = decode(data)
            tree = parse(text, path)
        except SourceError as exc:
            return out + [syntax_finding(path, exc)]
        whole, file_codes = noqa.file_suppression(text)
        if whole:
            return out
        lines = source_lines(text)
        findings = run_rules(tree, lines, path, settings, frozenset(all_rules()))
        out.extend(f for f in sorted(findings) if not (file_codes and f.code.startswith(file_codes)))
        return out

    def _settings_for(self, path: str) -> Tuple[Settings, str]:
        """(settings, config error or "") for a file's folder; read once per folder."""
        directory = os.path.dirname(os.path.abspath(path))
        cache = self._shared.settings
        if directory not in cache:
            cache[directory] = plugin_settings(directory)
        return cache[directory]

    # -- reporting ---------------------------------------------------------
    def _report(self, module: "nodes.Module", finding: Finding) -> None:
        self.add_message(
            symbol_for(finding.code),
            line=finding.row,
            col_offset=finding.col - 1,
            end_lineno=finding.end_row or finding.row,
            end_col_offset=(finding.end_col or finding.col) - 1,
            node=_frame_at(module, finding.row),
            args=(finding.message,),
        )


def _source(node: "nodes.Module") -> Optional[bytes]:
    """The module's bytes as pylint read them (a file, or --from-stdin text)."""
    if node.file_bytes is not None:
        data = node.file_bytes
        return data.encode("utf-8") if isinstance(data, str) else bytes(data)
    try:
        stream = node.stream()
    except OSError:
        return None
    if stream is None:
        return None
    with stream:
        return stream.read()


def _frame_at(module: "nodes.Module", row: int) -> "nodes.NodeNG":
    """The innermost function or class spanning ``row`` (for pylint's ``obj``), else the module."""
    from astroid import nodes

    best: "nodes.NodeNG" = module
    children = list(module.get_children())
    while children:
        child = children.pop()
        if child.fromlineno is None or child.tolineno is None:
            continue
        first = min([child.fromlineno] + [d.fromlineno for d in getattr(getattr(child, "decorators", None), "nodes", [])])
        if not first <= row <= child.tolineno:
            continue
        if isinstance(child, (nodes.FunctionDef, nodes.ClassDef)):
            best = child
        children = list(child.get_children())
    return best


def _family_checkers() -> List[Type[AsynclintChecker]]:
    """One checker class per rule family (pylint wants one checker id per checker)."""
    families: Dict[str, Dict[str, Tuple[str, str, str]]] = {}
    for code, rule in all_rules().items():
        msgid = msgid_for(code)
        families.setdefault(msgid[1:3], {})[msgid] = ("%s", symbol_for(code), _description(rule))
    out = []
    for family_id, msgs in sorted(families.items()):
        name = f"AsynclintChecker{family_id}"
        cls = type(name, (AsynclintChecker,), {"msgs": msgs, "__module__": __name__, "__qualname__": name})
        out.append(cls)
    return out


# module attributes, so that pickling the linter (``pylint -j N``) finds them
FAMILY_CHECKERS = _family_checkers()
globals().update((cls.__name__, cls) for cls in FAMILY_CHECKERS)


def register(linter: "PyLinter") -> None:
    """pylint's plugin entry point."""
    shared = _Shared()
    for cls in FAMILY_CHECKERS:
        linter.register_checker(cls(linter, shared))
