"""Every piece of SQL the volunteers app runs by hand, in one place (the ORM does the rest).

Database objects, each in its own file here and installed by migrations with `install()`:

- `ledger_triggers.sql`: the ledger's guards (zero-sum at commit, an entry's point type is its
  account's, append-only entries and transactions, each balance row equal to its entries' sum
  at commit, TRUNCATE refused);
- `entry_figures.sql`: an entry's copy of its transaction's time and kind, written by the
  database on insert (for the dashboard's 福分 figures, volunteers.figures);
- `award.sql`: `volunteers_award()`, the award rule in one round trip (volunteers.ledger.award).
  It is the only copy of that rule: a Python twin cost about 6 times the wall time and 15
  times the client CPU per award (docs/volunteers.md, Figures).

A migration that installs a file runs whatever the file holds when it runs, so a change to a
file needs a new migration calling `install()` again (the files are written to run twice:
functions are replaced, triggers dropped and re-created). tests/volunteers/test_award_function.py
fails while a function in the database differs from its file.

Statements run from Python (their parameters are `%s` placeholders):
"""

from __future__ import annotations

import re
from pathlib import Path

HERE = Path(__file__).resolve().parent

# ledger.post: move one balance row, refused (no row matched) when it would leave its bounds.
# After waiting for the row lock PostgreSQL re-reads the row, so the check is never stale.
MOVE_BALANCE = """
UPDATE volunteers_accountbalance
   SET balance = balance + %s, entry_count = entry_count + 1, updated_at = %s
 WHERE account_id = %s
   AND (floor IS NULL OR balance + %s >= floor)
   AND (ceiling IS NULL OR balance + %s <= ceiling)
"""

# ledger.award: one call of the function of award.sql (14 arguments, in its order).
CALL_AWARD = f"SELECT status, txn_id FROM volunteers_award({', '.join(['%s'] * 14)})"

# checks.check_ledger: stored balance against the entries' sum, one account-id range at a time
# (lo, hi, lo, hi), each range one aggregate on the (account, id) index.
BALANCES_AGAINST_ENTRIES = """
SELECT b.account_id, b.balance, COALESCE(s.total, 0), COALESCE(s.n, 0)
  FROM volunteers_accountbalance b
  LEFT JOIN (SELECT account_id, SUM(amount) AS total, COUNT(*) AS n
               FROM volunteers_ledgerentry
              WHERE account_id >= %s AND account_id < %s
              GROUP BY account_id) s ON s.account_id = b.account_id
 WHERE b.account_id >= %s AND b.account_id < %s
"""

# checks.check_ledger: transactions whose entries do not sum to zero per point type.
UNBALANCED_TRANSACTIONS = """
SELECT transaction_id, point_type_id, SUM(amount)
  FROM volunteers_ledgerentry
 GROUP BY transaction_id, point_type_id
HAVING SUM(amount) <> 0
 LIMIT 1000
"""


def source(name: str) -> str:
    """The text of `<name>.sql` in this package."""
    return (HERE / f"{name}.sql").read_text(encoding="utf-8")


def function_bodies(name: str) -> dict[str, str]:
    """The functions `<name>.sql` creates: name → body between its `$$` (what pg_proc.prosrc
    holds for it once installed)."""
    pattern = r"CREATE OR REPLACE FUNCTION (\w+)\(.*?\$\$(.*?)\$\$"
    return dict(re.findall(pattern, source(name), re.S))


def install(name: str):
    """A RunPython callable for a migration: run `<name>.sql` (no parameters, so `%` in the
    PL/pgSQL stays as it is)."""

    def run(apps, schema_editor):
        schema_editor.execute(source(name), params=None)

    run.__name__ = f"install_{name}"
    return run
