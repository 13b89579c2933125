"""HNG400 shapes a single fixture cannot show: module-wide exemptions, positions, docs."""

from __future__ import annotations

import textwrap

import pytest

from asynclint.config import Settings
from asynclint.engine import lint_text
from asynclint.registry import get_rule

SETTINGS = Settings(select=("HNG400", "HNG002"))

LOCKING_FUNCTION = '''
async def lock(conn, account_id):
    return await conn.fetchrow("SELECT * FROM accounts WHERE id = $1 FOR UPDATE", account_id)
'''


def rows(source: str):
    findings = lint_text(textwrap.dedent(source), "example.py", SETTINGS)
    assert all(f.code == "HNG400" for f in findings), findings
    return [f.row for f in findings]


def test_locking_function_alone_is_reported() -> None:
    assert rows(LOCKING_FUNCTION) == [3]


@pytest.mark.parametrize(
    "setup",
    [
        # asyncpg: server settings for every pooled connection
        'pool = asyncpg.create_pool(DSN, server_settings={"lock_timeout": "5s"})',
        'conn = await_(asyncpg.connect(DSN, server_settings=dict(SETTINGS, **{"lock_timeout": "2000"})))',
        # psycopg / libpq options
        'conn = psycopg.connect(DSN, options="-c lock_timeout=5000")',
        'engine = create_engine(URL, connect_args={"options": "-c statement_timeout=30s -c lock_timeout=5s"})',
        'DSN = "postgresql://app@db/app?options=-c%20lock_timeout%3D5000"',
        # a connection hook that sets it for every connection
        textwrap.dedent(
            """
            async def _init(conn):
                await conn.execute("SET lock_timeout = '5s'")

            pool = asyncpg.create_pool(DSN, init=_init)
            """
        ),
        textwrap.dedent(
            """
            @event.listens_for(engine.sync_engine, "connect")
            def _on_connect(dbapi_connection, record):
                cursor = dbapi_connection.cursor()
                cursor.execute("SET lock_timeout TO '5s'")
                cursor.close()
            """
        ),
        textwrap.dedent(
            """
            def _on_checkout(dbapi_connection, record, proxy):
                dbapi_connection.cursor().execute("SET SESSION lock_timeout = 3000")

            event.listen(engine, "checkout", _on_checkout)
            """
        ),
    ],
)
def test_module_wide_lock_timeout_exempts(setup: str) -> None:
    assert rows(setup + "\n" + LOCKING_FUNCTION) == []


@pytest.mark.parametrize(
    "setup",
    [
        # zero switches the limit off
        'pool = asyncpg.create_pool(DSN, server_settings={"lock_timeout": "0"})',
        'conn = psycopg.connect(DSN, options="-c lock_timeout=0")',
        # a session-level SET in an ordinary function bounds only that connection
        textwrap.dedent(
            """
            async def warm(conn):
                await conn.execute("SET lock_timeout = '5s'")
            """
        ),
        # another setting
        'pool = asyncpg.create_pool(DSN, server_settings={"statement_timeout": "5s"})',
    ],
)
def test_other_settings_do_not_exempt(setup: str) -> None:
    assert len(rows(setup + "\n" + LOCKING_FUNCTION)) == 1


def test_constant_exempt_only_when_every_reader_sets_lock_timeout() -> None:
    source = '''
    LOCK_SQL = "SELECT * FROM accounts WHERE id = $1 FOR UPDATE"

    async def bounded(conn, account_id):
        async with conn.transaction():
            await conn.execute("SET LOCAL lock_timeout = '5s'")
            return await conn.fetchrow(LOCK_SQL, account_id)
    '''
    assert rows(source) == []
    unbounded_reader = '''
    async def unbounded(conn, account_id):
        return await conn.fetchrow(LOCK_SQL, account_id)
    '''
    assert rows(source + unbounded_reader) == [2]


def test_lock_timeout_from_a_module_constant_counts() -> None:
    source = '''
    SET_LOCK_TIMEOUT = "SET LOCAL lock_timeout = '5s'"

    async def bounded(conn, account_id):
        async with conn.transaction():
            await conn.execute(SET_LOCK_TIMEOUT)
            return await conn.fetchrow("SELECT * FROM accounts WHERE id = $1 FOR UPDATE", account_id)
    '''
    assert rows(source) == []


def test_helper_exempt_only_when_every_caller_sets_lock_timeout() -> None:
    source = '''
    class Repo:
        async def _lock(self, conn, account_id):
            return await conn.fetchrow("SELECT * FROM accounts WHERE id = $1 FOR UPDATE", account_id)

        async def debit(self, conn, account_id):
            async with conn.transaction():
                await conn.execute("SET LOCAL lock_timeout = '5s'")
                return await self._lock(conn, account_id)
    '''
    assert rows(source) == []
    other_caller = '''
        async def peek(self, conn, account_id):
            return await self._lock(conn, account_id)
    '''
    assert rows(source + other_caller) == [4]


def test_method_finding_points_at_the_method_in_a_chain() -> None:
    source = 'stmt = (\n    select(Account)\n    .where(Account.id == 1)\n    .with_for_update(of=Account)\n)\n'
    (finding,) = lint_text(source, "example.py", SETTINGS)
    assert (finding.row, finding.col) == (4, 6)
    assert (finding.end_row, finding.end_col) == (4, 33)


def test_one_finding_per_literal_even_with_several_clauses() -> None:
    source = '''
    SQL = """
        SELECT * FROM a WHERE id = $1 FOR UPDATE;
        SELECT * FROM b WHERE id = $1 FOR SHARE OF b;
    """
    '''
    assert rows(source) == [2]


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM a FOR UPDATE OF a, b NOWAIT",
        "SELECT * FROM a FOR UPDATE OF public.a SKIP LOCKED",
        'SELECT * FROM a FOR UPDATE OF "Accounts" NOWAIT',
        "select * from a for no key update skip locked",
        "SELECT * FROM a FOR UPDATE WAIT 5",
        "SELECT * FROM a /* FOR UPDATE */",
        "SELECT * FROM a WHERE note = 'x; SELECT 1 FROM b FOR UPDATE'",
        "SELECT 1 FOR UPDATE",
        "UPDATE a SET x = 1 FOR UPDATE",
        "select_for_update FROM x FOR UPDATE",
        "Waiting for update from upstream",
        "SELECT * FROM a FOR UPDATE {}",
        "SELECT * FROM a FOR UPDATE %(wait)s",
    ],
)
def test_bounded_or_not_sql_literals(sql: str) -> None:
    assert rows(f"QUERY = {sql!r}\n") == []


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM a FOR UPDATE OF a, b",
        "SELECT *\n  FROM a\n  FOR\n   SHARE",
        "SELECT * FROM a -- comment\nFOR KEY SHARE",
        "SELECT * FROM a FOR UPDATE NOWAIT FOR SHARE OF b",
        "SELECT * FROM a FOR UPDATE OF a NOWAIT; SELECT * FROM b FOR UPDATE",
        "SeLeCt * fRoM a fOr UpDaTe",
    ],
)
def test_unbounded_sql_literals(sql: str) -> None:
    assert rows(f"QUERY = {sql!r}\n") == [1]


def test_fstring_placeholders_in_of_list_and_table() -> None:
    assert rows('Q = f"SELECT * FROM {t} WHERE id = {i!r:>3} FOR UPDATE OF {t}"\n') == [1]
    assert rows('Q = f"SELECT * FROM {t} FOR UPDATE OF {t} {wait}"\n') == []


def test_concatenated_parts_reported_once_at_the_outermost_expression() -> None:
    source = 'Q = (\n    "SELECT * FROM a "\n    + f"WHERE id = {i} "\n    + "FOR UPDATE"\n)\n'
    assert rows(source) == [2]


def test_docstrings_and_bare_strings_are_not_sql() -> None:
    source = '''
    """SELECT * FROM accounts FOR UPDATE."""

    class Repo:
        """SELECT * FROM accounts FOR UPDATE."""

        def lock(self):
            """SELECT * FROM accounts FOR UPDATE."""
            f"""SELECT * FROM {self} FOR UPDATE"""
    '''
    assert rows(source) == []


def test_documentation_examples() -> None:
    rule = get_rule("HNG400")
    bad, good = rule.examples()
    assert rows(bad), "the Example must produce a finding"
    assert rows(good) == [], "Use instead must produce none"
    for heading in ("What it does", "Why is this bad?", "Example", "Use instead", "Fix safety", "References"):
        assert rule.doc_section(heading), heading
    doc = rule.doc()
    for needed in ("NOWAIT", "SKIP LOCKED", "lock_timeout", "LockNotAvailableError", "55P03"):
        assert needed in doc


def test_needles_cover_every_reported_file() -> None:
    from asynclint.config import Settings
    from asynclint.engine import Prefilter

    prefilter = Prefilter(["HNG400"], Settings())
    sources = (
        LOCKING_FUNCTION,
        "Session().query(A).with_for_update()\n",
        "A.objects.select_for_update()\n",
        "q = ('SELECT a FROM t '\n     'FOR ' \"NO KEY \" r'UPDATE')\n",
        "q = 'SELECT a FROM t FOR /* keep */ SHARE'\n",
        "q = 'SELECT a FROM t FOR -- why\\n UPDATE'\n",
    )
    for source in sources:
        assert rows(source), source
        assert prefilter.matching(source.encode()) == {"HNG400"}, source
    assert not prefilter.matching(b"# select the information for updates\n")


def test_mysql_modules_are_bounded_by_innodb_lock_wait_timeout() -> None:
    assert rows("import aiomysql\n" + LOCKING_FUNCTION) == []
    assert len(rows("import aiomysql\nimport asyncpg\n" + LOCKING_FUNCTION)) == 1
    source = '''
    async def lock(cur, account_id):
        await cur.execute("SET SESSION innodb_lock_wait_timeout = 5")
        await cur.execute("SELECT * FROM accounts WHERE id = %s FOR UPDATE", (account_id,))
    '''
    assert rows(source) == []


def test_server_settings_built_with_dict_call() -> None:
    setup = 'pool = asyncpg.create_pool(DSN, server_settings=dict(lock_timeout="5s"))\n'
    assert rows(setup + LOCKING_FUNCTION) == []
    setup = 'pool = asyncpg.create_pool(DSN, server_settings=dict(lock_timeout="0"))\n'
    assert len(rows(setup + LOCKING_FUNCTION)) == 1


def test_expected_sql_in_tests_is_not_executed() -> None:
    source = '''
    def test_compile(self):
        stmt = select(t).with_for_update(nowait=True)
        assert str(stmt) == "SELECT t.id FROM t FOR UPDATE"
        self.assert_compile(stmt, "SELECT t.id FROM t FOR SHARE")
        self.assertEqual(str(stmt), second="SELECT t.id FROM t FOR UPDATE")
        assert "SELECT t.id FROM t FOR UPDATE" in captured
    '''
    assert rows(source) == []


def test_statements_only_compiled_in_assertions_are_not_executed() -> None:
    source = '''
    def test_lock(self):
        self.assert_compile(select(t).with_for_update().where(t.c.id == 1), "...")
        assert str(User.objects.select_for_update().query) == expected
        stmt = select(t).with_for_update()
    '''
    assert rows(source) == [5]
