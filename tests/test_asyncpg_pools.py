"""Messages of HNG102-HNG105: what fixtures cannot show (they check rows and codes only)."""

from __future__ import annotations

import textwrap

from asynclint.config import Settings
from asynclint.engine import lint_text


def _messages(code: str, source: str) -> list:
    findings = lint_text(textwrap.dedent(source), "example.py", Settings(select=(code,)))
    return [f.message for f in findings if f.code == code]


def test_hng102_names_only_the_missing_keyword_and_points_to_hng103():
    (message,) = _messages(
        "HNG102",
        """
        import asyncpg as apg

        async def main(dsn):
            return await apg.create_pool(dsn, timeout=10)
        """,
    )
    assert "`command_timeout=`" in message
    assert "`timeout=` or" not in message
    assert "HNG103" in message and "acquire()" in message


def test_hng102_names_both_keywords_when_both_are_missing():
    (message,) = _messages(
        "HNG102",
        """
        from asyncpg.pool import create_pool

        async def main(dsn):
            return await create_pool(dsn)
        """,
    )
    assert "`timeout=` or `command_timeout=`" in message


def test_hng104_names_the_connection_variable():
    (message,) = _messages(
        "HNG104",
        """
        import asyncpg

        async def main(db: asyncpg.Pool):
            replica_conn = await db.acquire(timeout=5)
            await replica_conn.execute("SELECT 1")
        """,
    )
    assert "`replica_conn`" in message and "finally" in message


def test_hng105_says_to_bound_the_blocking_call_and_names_the_guard():
    source = """
        import asyncio

        async def main(blocking):
            async with asyncio.timeout(5):
                await asyncio.to_thread(blocking)
            return await asyncio.wait_for(asyncio.get_running_loop().run_in_executor(None, blocking), 5)
        """
    first, second = _messages("HNG105", source)
    assert "asyncio.timeout" in first and "to_thread" in first
    assert "asyncio.wait_for" in second and "run_in_executor" in second
    assert all("bound the blocking call itself" in m for m in (first, second))
