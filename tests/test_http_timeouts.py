"""HNG100/HNG101 details the fixtures cannot show: messages and name resolution corners."""

from __future__ import annotations

import textwrap
from typing import List, Tuple

import pytest

from asynclint.config import Settings
from asynclint.engine import lint_text


def findings(code: str, source: str) -> List[Tuple[int, str]]:
    text = textwrap.dedent(source)
    return [(f.row, f.message) for f in lint_text(text, "example.py", Settings(select=(code,)))]


def rows(code: str, source: str) -> List[int]:
    return [row for row, _ in findings(code, source)]


def test_hng100_names_aiohttp_request_in_its_message():
    [(_, message)] = findings(
        "HNG100",
        """
        import aiohttp

        async def ping(url):
            async with aiohttp.request("GET", url) as resp:
                return resp.status
        """,
    )
    assert "aiohttp.request()" in message and "ClientTimeout" in message


def test_hng101_asyncpg_message_names_every_disabled_keyword():
    [(_, message)] = findings(
        "HNG101",
        """
        import asyncpg

        async def connect(dsn):
            return await asyncpg.connect(dsn, timeout=None, command_timeout=None)
        """,
    )
    assert "timeout=None" in message and "command_timeout=None" in message
    assert "connect and per-query" in message


def test_hng101_explicit_none_is_reported_beside_kwargs():
    assert rows(
        "HNG101",
        """
        import httpx

        def fetch(url):
            return httpx.get(url, timeout=None, **{"follow_redirects": True})
        """,
    ) == [5]


@pytest.mark.parametrize(
    "source",
    [
        # rebound from a function through `global`
        """
        import asyncio
        TIMEOUT = None

        def configure(seconds):
            global TIMEOUT
            TIMEOUT = seconds

        async def run(aw):
            return await asyncio.wait_for(aw, TIMEOUT)
        """,
        # bound by a loop at module level
        """
        import asyncio
        TIMEOUT = None
        for TIMEOUT in (5, 10):
            pass

        async def run(aw):
            return await asyncio.wait_for(aw, TIMEOUT)
        """,
        # imported: its value is not visible here
        """
        import asyncio
        from settings import TIMEOUT

        async def run(aw):
            return await asyncio.wait_for(aw, TIMEOUT)
        """,
        # a lambda parameter shadows the constant
        """
        import asyncio
        TIMEOUT = None
        run = lambda aw, TIMEOUT: asyncio.wait_for(aw, TIMEOUT)
        """,
    ],
)
def test_hng101_module_constant_must_be_plain(source):
    assert rows("HNG101", source) == []


def test_hng101_module_constant_bound_once_is_the_literal():
    assert rows(
        "HNG101",
        """
        import asyncio
        from typing import Final

        NO_LIMIT: Final = None

        async def run(aw):
            return await asyncio.wait_for(aw, NO_LIMIT)
        """,
    ) == [8]


def test_hng101_zero_counts_only_for_aiohttp_fields():
    assert rows(
        "HNG101",
        """
        import asyncio
        import aiohttp
        ZERO = 0

        LOOSE = aiohttp.ClientTimeout(None, None, None, None, 5)
        BOUND = aiohttp.ClientTimeout(30)
        OFF = aiohttp.ClientTimeout(total=ZERO)

        async def poll(fut):
            return await asyncio.wait_for(fut, ZERO)
        """,
    ) == [6, 8]


def test_hng101_asyncio_timeout_rescheduled_from_a_closure_is_fine():
    assert rows(
        "HNG101",
        """
        import asyncio

        async def run(job):
            async with asyncio.timeout(None) as cm:
                def arm(seconds):
                    cm.reschedule(asyncio.get_running_loop().time() + seconds)
                await job(arm)
        """,
    ) == []


def test_hng101_httpx_timeout_needs_every_field_unbounded():
    assert rows(
        "HNG101",
        """
        import httpx

        a = httpx.Timeout(None, connect=None)
        b = httpx.Timeout(connect=None, read=None, write=None, pool=None)
        c = httpx.Timeout(connect=None, read=None)
        d = httpx.Timeout(None, connect=5.0)
        e = httpx.Timeout(existing)
        """,
    ) == [4, 5]
