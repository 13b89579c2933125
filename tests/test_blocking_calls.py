"""HNG110 behaviour that fixtures cannot show: the `extend-blocking-calls` option."""

from __future__ import annotations

import textwrap

from asynclint.config import Settings, load_settings
from asynclint.engine import lint_text
from asynclint.registry import get_rule

EXTENDED = Settings(select=("HNG110",), extend_blocking_calls=("mylib.io.fetch_sync",))
DEFAULT = Settings(select=("HNG110",))

SOURCE = textwrap.dedent(
    """\
    import mylib.io
    from mylib.io import fetch_sync as fetch
    from mylib import io as mio

    async def handler(url):
        a = mylib.io.fetch_sync(url)
        b = fetch(url)
        c = mio.fetch_sync(url)
        d = mylib.io.fetch_async(url)

        def in_thread():
            return fetch(url)

        return a, b, c, d, in_thread

    def sync_handler(url):
        return fetch(url)
    """
)


def rows(text: str, settings: Settings) -> list:
    return [(f.row, f.code) for f in lint_text(text, "x.py", settings)]


def test_extend_blocking_calls_reports_every_spelling_in_async_def_only():
    assert rows(SOURCE, EXTENDED) == [(6, "HNG110"), (7, "HNG110"), (8, "HNG110")]


def test_extended_names_are_not_blocking_by_default():
    assert rows(SOURCE, DEFAULT) == []


def test_extended_name_passed_uncalled_or_awaited_is_not_reported():
    text = textwrap.dedent(
        """\
        import asyncio
        from mylib.io import fetch_sync

        async def handler(url):
            await asyncio.to_thread(fetch_sync, url)
            return await fetch_sync(url)
        """
    )
    assert rows(text, EXTENDED) == []


def test_extended_call_message_names_the_call_and_the_fix():
    (finding,) = lint_text("import mylib.io\nasync def f():\n    mylib.io.fetch_sync()\n", "x.py", EXTENDED)
    assert "`mylib.io.fetch_sync`" in finding.message
    assert "asyncio.timeout" in finding.message and "asyncio.to_thread" in finding.message


def test_extend_blocking_calls_from_config_file(tmp_path):
    config = tmp_path / "asynclint.toml"
    config.write_text('select = ["HNG110"]\nextend-blocking-calls = ["mylib.io.fetch_sync"]\n')
    settings = load_settings(config)
    assert settings.extend_blocking_calls == ("mylib.io.fetch_sync",)
    assert rows(SOURCE, settings) == [(6, "HNG110"), (7, "HNG110"), (8, "HNG110")]


def test_needles_for_includes_extended_names():
    rule = get_rule("HNG110")
    assert b"fetch_sync" in rule.needles_for(EXTENDED)
    assert rule.needles_for(DEFAULT) == rule.needles
