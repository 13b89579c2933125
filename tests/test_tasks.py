"""HNG200-HNG203: what the fixtures cannot show (messages, spawn resolution, odd shapes)."""

from __future__ import annotations

import textwrap

import pytest

from asynclint.config import Settings
from asynclint.engine import lint_text
from asynclint.rule import UNSAFE
from asynclint.rules.tasks import (
    BackgroundTaskWithoutTimeout,
    TaskCreatedAtImportTime,
    TaskCreatedInConstructor,
    TaskReferenceDiscarded,
)

CODES = ("HNG200", "HNG201", "HNG202", "HNG203", "HNG002")


def lint(source: str, codes=CODES):
    return lint_text(textwrap.dedent(source), "example.py", Settings(select=codes))


def codes_of(source: str, codes=CODES):
    return sorted((f.row, f.code) for f in lint(source, codes))


def test_fix_safety_matches_catalog():
    assert TaskCreatedAtImportTime.fix is None
    assert TaskCreatedInConstructor.fix is None
    assert TaskReferenceDiscarded.fix == UNSAFE
    assert BackgroundTaskWithoutTimeout.fix == UNSAFE


def test_constructor_message_says_how_to_fix():
    assert "start it from an async start()/lifespan handler and keep the task" in (
        TaskCreatedInConstructor.message
    )


def test_background_task_message_names_the_coroutine():
    findings = lint(
        """
        from fastapi import BackgroundTasks

        async def crunch(n):
            pass

        async def endpoint(background_tasks: BackgroundTasks):
            background_tasks.add_task(crunch, 1)
        """
    )
    assert [f.code for f in findings] == ["HNG203"]
    assert "`crunch`" in findings[0].message


SPAWNS = [
    "asyncio.create_task(work())",
    "asyncio.ensure_future(work())",
    "aio.create_task(work())",
    "spawn(work())",
    "asyncio.get_event_loop().create_task(work())",
    "asyncio.get_running_loop().create_task(work())",
    "ev.create_task(work())",
    "loop.create_task(work())",
    "self._loop.create_task(work())",
    "self.bot.loop.create_task(work())",
    "asyncio.ensure_future(coro)",
]

NOT_SPAWNS = [
    "tg.create_task(work())",
    "group.create_task(work())",
    "nursery.start_soon(work)",
    "jobs.create_task('x')",
    "asyncio.ensure_future(fut)",
    "asyncio.ensure_future(asyncio.gather(a(), b()))",
    "asyncio.ensure_future(loop.run_in_executor(None, f))",
    "asyncio.ensure_future()",
    "asyncio.create_task",
    "create_task(work())",
    "items[0].create_task(work())",
]

PRELUDE = """
import asyncio
import asyncio as aio
from asyncio import create_task as spawn

async def handler(self, fut, loop, tg, group, nursery, jobs, items):
    ev = asyncio.new_event_loop()
    coro = work()
    async with asyncio.TaskGroup() as tg:
        {line}
"""


@pytest.mark.parametrize("line", SPAWNS)
def test_spawn_shapes(line):
    assert codes_of(PRELUDE.format(line=line), ("HNG202",)) == [(10, "HNG202")]


@pytest.mark.parametrize("line", NOT_SPAWNS)
def test_not_spawn_shapes(line):
    assert codes_of(PRELUDE.format(line=line), ("HNG202", "HNG002")) == []


def test_loop_named_like_a_task_group_is_not_a_loop():
    source = """
    import anyio

    async def main():
        async with anyio.create_task_group() as loop:
            loop.create_task(work())
    """
    assert codes_of(source) == []


def test_discarded_local_is_position_aware():
    source = """
    import asyncio

    async def main():
        t = asyncio.create_task(a())
        await t
        t = asyncio.create_task(b())
        u = asyncio.create_task(c())
        del u
    """
    assert codes_of(source) == [(7, "HNG202"), (8, "HNG202")]


def test_global_and_nonlocal_names_are_not_locals():
    source = """
    import asyncio

    _task = None

    async def main():
        global _task
        _task = asyncio.create_task(a())

    def outer():
        t = None

        async def inner():
            nonlocal t
            t = asyncio.create_task(a())

        return inner
    """
    assert codes_of(source) == []


def test_locals_call_counts_as_a_read():
    source = """
    import asyncio

    async def main():
        t = asyncio.create_task(a())
        return locals()
    """
    assert codes_of(source) == []


def test_module_level_name_is_not_a_discarded_local():
    source = """
    import asyncio

    if __name__ == "__main__":
        loop = asyncio.new_event_loop()
        main_task = loop.create_task(a())
    """
    assert codes_of(source) == []


def test_background_task_resolution_follows_python_scoping():
    source = """
    from fastapi import BackgroundTasks

    async def job():
        pass

    def job_factory():
        pass

    async def endpoint(background_tasks: BackgroundTasks):
        job = job_factory
        background_tasks.add_task(job)

    async def other(background_tasks: BackgroundTasks):
        background_tasks.add_task(job)
    """
    # the local rebinding hides the module-level coroutine in endpoint()
    assert codes_of(source) == [(15, "HNG203")]


def test_background_task_redefined_name_is_not_resolved():
    source = """
    import asyncio
    from fastapi import BackgroundTasks

    if True:
        async def job():
            pass
    else:
        async def job():
            async with asyncio.timeout(1):
                pass

    async def endpoint(background_tasks: BackgroundTasks):
        background_tasks.add_task(job)
    """
    assert codes_of(source) == []


def test_background_tasks_bound_from_constructor_and_starlette_module():
    source = """
    from starlette import background

    async def job():
        pass

    def handler():
        tasks = background.BackgroundTasks()
        tasks.add_task(job)
        return tasks
    """
    assert codes_of(source) == [(9, "HNG203")]


def test_odd_shapes_do_not_crash():
    source = """
    import asyncio

    x = asyncio.create_task
    y = (lambda: 0)().create_task(1)
    asyncio.ensure_future(*coros)  # unresolvable argument: no spawn
    asyncio.ensure_future(coro_or_future=make())

    class K:
        def __init__(self, *a, **kw):
            (self.t, self.u) = asyncio.create_task(a()), None

        @staticmethod
        def __new__():
            asyncio.create_task(a())

    def f(background_tasks):
        background_tasks.add_task()
        background_tasks.add_task(func=job)
        background_tasks.add_task(*jobs)

    async def job():
        pass
    """
    findings = lint(source)
    assert not [f for f in findings if f.code == "HNG002"]
    assert sorted((f.row, f.code) for f in findings) == [
        (7, "HNG200"),
        (7, "HNG202"),
        (11, "HNG201"),
        (15, "HNG201"),
        (15, "HNG202"),
        (19, "HNG203"),
    ]


def test_background_task_fix_targets_the_coroutine_definition():
    findings = lint(
        """
        from fastapi import BackgroundTasks

        async def crunch(n):
            pass

        async def endpoint(background_tasks: BackgroundTasks):
            background_tasks.add_task(crunch, 1)
        """,
        ("HNG203",),
    )
    assert [(f.row, f.fix_target[0]) for f in findings] == [(8, 4)]
