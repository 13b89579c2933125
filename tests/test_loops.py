"""HNG300-HNG302 details fixtures cannot show: positions, messages, newer syntax."""

from __future__ import annotations

import sys
import textwrap

import pytest

from asynclint.config import Settings
from asynclint.engine import lint_text
from asynclint.rules.loops import CancellationSwallowed, LoopNeverYields


def _lint(code: str, select: str):
    return lint_text(textwrap.dedent(code), "t.py", Settings(select=(select,)))


def test_hng300_busy_wait_has_its_own_message():
    findings = _lint(
        """
        async def f(self):
            while True:
                self.n += 1
            while not self.ready:
                pass
        """,
        "HNG300",
    )
    assert [(f.row, f.col) for f in findings] == [(3, 5), (5, 5)]
    assert findings[0].message == LoopNeverYields.message
    assert findings[1].message == LoopNeverYields.busy_wait_message


def test_hng302_reports_the_except_keyword_and_the_with_statement():
    findings = _lint(
        """
        import asyncio, contextlib
        async def f(job):
            try:
                await job()
            except asyncio.CancelledError:
                pass
            with contextlib.suppress(asyncio.CancelledError):
                await job()
        """,
        "HNG302",
    )
    assert [(f.row, f.col) for f in findings] == [(6, 5), (8, 5)]
    assert findings[0].message == CancellationSwallowed.message
    assert findings[1].message == CancellationSwallowed.suppress_message


def test_hng302_column_counts_characters_after_non_ascii():
    findings = _lint(
        """
        import asyncio
        async def f(job):
            try: await job()
            except asyncio.CancelledError: x = "é"; pass
        """,
        "HNG302",
    )
    assert [(f.row, f.col) for f in findings] == [(5, 5)]


@pytest.mark.skipif(sys.version_info < (3, 11), reason="except* is Python 3.11+")
def test_hng302_except_star():
    findings = _lint(
        """
        import asyncio
        async def f(job):
            try:
                await job()
            except* asyncio.CancelledError:
                pass
            try:
                await job()
            except* asyncio.CancelledError:
                raise
        """,
        "HNG302",
    )
    assert [f.row for f in findings] == [6]


def test_hng302_cancel_in_a_comprehension_counts_for_gather():
    findings = _lint(
        """
        import asyncio
        async def stop(tasks):
            [t.cancel() for t in tasks.values()]
            try:
                await asyncio.gather(*tasks.values())
            except asyncio.CancelledError:
                pass
            try:
                await asyncio.gather(*tasks)
            except asyncio.CancelledError:
                pass
        """,
        "HNG302",
    )
    assert findings == []


def test_hng301_try_around_a_nested_def_does_not_guard_its_loop():
    """A try around a nested function's definition does not guard its loop."""
    findings = _lint(
        """
        import asyncio
        def outer():
            try:
                async def job():
                    while True:
                        await asyncio.sleep(1)
            except Exception:
                pass
            return job
        """,
        "HNG301",
    )
    assert [f.row for f in findings] == [6]
