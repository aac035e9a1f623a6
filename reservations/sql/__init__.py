"""The write path of holds as PostgreSQL functions, one commented file per action:

- `hold.sql`     pos_hold     (reservations.services.hold_seats)
- `release.sql`  pos_release  (reservations.services.release_hold)
- `extend.sql`   pos_extend   (reservations.services.extend_hold)
- `lock_sale.sql` pos_lock_sale (reservations.services.lock_sale)
- `complete.sql` pos_complete (reservations.services.complete_hold)
- `hold_common.sql`           what release and extend share

Every entry point runs with `plan_cache_mode = force_generic_plan`: PL/pgSQL keeps each
statement's plan for the connection, but with parameters (the seat ids, the time) it
plans them again on every call while it weighs a custom plan against the generic one;
that planning was two thirds of a hold's time in PostgreSQL (2.6 of 3.5 ms). The generic
plans use the same indexes (primary keys, the seat's claims, the cashier's items).

Each is the only implementation of its rule; the Python side is a thin call that maps
the answer to the domain errors (docs/reservations.md, "The write path"). The functions
live in every tenant schema, installed by migrations that call `install_functions`;
change a file here, then add a migration that calls it again (CREATE OR REPLACE)."""

from __future__ import annotations

from pathlib import Path

SQL_DIR = Path(__file__).resolve().parent
# hold_common first: release and extend call its functions.
FILES = ("hold_common.sql", "hold.sql", "release.sql", "extend.sql", "lock_sale.sql",
         "complete.sql")


def function_sql() -> list[str]:
    return [(SQL_DIR / name).read_text(encoding="utf-8") for name in FILES]


def install_functions(apps, schema_editor) -> None:
    """RunPython body: (re)create every function in the schema being migrated."""
    for sql in function_sql():
        schema_editor.execute(sql, params=None)


# pos_hold before it took `p_include_blocked` (the blocked-seats migration drops it).
OLD_HOLD = ("DROP FUNCTION IF EXISTS pos_hold(bigint, bigint, bigint[], bigint[], integer[], "
            "timestamptz, integer, integer, text)")

DROP = [
    OLD_HOLD,
    "DROP FUNCTION IF EXISTS pos_hold(bigint, bigint, bigint[], bigint[], integer[], "
    "timestamptz, integer, integer, text, boolean)",
    "DROP FUNCTION IF EXISTS pos_release(bigint, bigint, boolean, bigint[], text, "
    "timestamptz, text)",
    "DROP FUNCTION IF EXISTS pos_extend(bigint, bigint, boolean, boolean, integer, "
    "timestamptz, text)",
    "DROP FUNCTION IF EXISTS pos_lock_sale(bigint, bigint, boolean, timestamptz, text)",
    "DROP FUNCTION IF EXISTS pos_complete(bigint, bigint, timestamptz, bigint[], bigint[], "
    "text[], bigint[], text[], text)",
    "DROP FUNCTION IF EXISTS pos_hold_answer(bigint)",
    "DROP FUNCTION IF EXISTS pos_lock_pending_hold(bigint, bigint, boolean, timestamptz)",
]


def drop_old_hold(apps, schema_editor) -> None:
    """RunPython body: the nine-argument pos_hold, replaced by one more argument (a
    function's arguments are part of its name, CREATE OR REPLACE would keep both)."""
    schema_editor.execute(OLD_HOLD, params=None)


def drop_functions(apps, schema_editor) -> None:
    for sql in DROP:
        schema_editor.execute(sql, params=None)
