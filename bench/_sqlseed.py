"""Fast seeding of a stopped server's SQLite store, for the growth scenario's big stores.

The Web API stores a few hundred events a second on this machine, so a million would take
most of an hour. Instead: every chat first gets one real event through the Web API (so the
chat, its thread, users and the event's shape are the server's own), the server is stopped,
and this script copies that event's row N times per chat in one transaction, with new ids,
increasing ``order``, and the benchmark's texts; it moves ``chats.last_order`` and
``threads.total_events`` on by N. The full-text index (``events_fts``) is kept by the schema's
own insert trigger. Then the server is started again on the same data dir.

It writes the schema of Chatplane's ``0001_initial`` migration (tables ``events``, ``chats``,
``threads``); if that schema changes, it fails loudly and the scenario falls back to the
Web API with a time bound.

Usage: ``python -m bench._sqlseed DB_PATH PLAN_JSON`` where the plan is
``{"chats": [[chat_id, n_events], ...], "text": "archive"|"plain", "start_k": int}``.
Prints ``{"inserted": n, "seconds": s}``.
"""

from __future__ import annotations

import json
import sqlite3
import sys
import time


def _text(kind: str, k: int) -> str:
    if kind == "archive":
        from bench.scenarios.growth import archive_text

        return archive_text(k)
    return f"seeded message {k}"


def seed(db_path: str, plan: list[tuple[str, int]], kind: str, start_k: int) -> dict[str, float]:
    t0 = time.perf_counter()
    db = sqlite3.connect(db_path, isolation_level=None)
    db.execute("PRAGMA synchronous=OFF")
    db.execute("PRAGMA busy_timeout=10000")
    # Statistics the server's periodic ANALYZE took while the store was small say the FTS5
    # shadow table `events_fts_data` has 2 rows; with them every insert through the FTS
    # trigger gets ~40x slower as the store grows (0.75 ms instead of 0.02 ms a row at 140k
    # events). Drop those rows for the bulk load; ANALYZE again at the end, as the server does.
    has_stat = db.execute(
        "SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'"
    ).fetchone()[0]
    if has_stat:
        db.execute("DELETE FROM sqlite_stat1 WHERE tbl LIKE 'events_fts%'")
        db.close()  # statistics are read when a connection loads the schema
        db = sqlite3.connect(db_path, isolation_level=None)
        db.execute("PRAGMA synchronous=OFF")
        db.execute("PRAGMA busy_timeout=10000")
    k = start_k
    inserted = 0
    db.execute("BEGIN IMMEDIATE")
    for chat_id, n in plan:
        if n <= 0:
            continue
        tmpl = db.execute(
            "SELECT thread_id, license_id, type, author_id, recipients, body, properties, "
            'created_at FROM events WHERE chat_id = ? ORDER BY "order" DESC LIMIT 1',
            (chat_id,),
        ).fetchone()
        if tmpl is None:
            raise RuntimeError(f"chat {chat_id} has no event to copy")
        thread_id, license_id, etype, author, recipients, body, props, created = tmpl
        (last_order,) = db.execute(
            "SELECT last_order FROM chats WHERE id = ?", (chat_id,)
        ).fetchone()
        rows = []
        for i in range(n):
            rows.append(
                (
                    f"bseed{k:09d}",
                    chat_id,
                    thread_id,
                    license_id,
                    last_order + 1 + i,
                    etype,
                    author,
                    recipients,
                    None,
                    _text(kind, k),
                    body,
                    props,
                    created + i * 0.001,
                )
            )
            k += 1
        db.executemany(
            'INSERT INTO events (id, chat_id, thread_id, license_id, "order", type, author_id, '
            "recipients, custom_id, text, body, properties, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
        db.execute("UPDATE chats SET last_order = last_order + ? WHERE id = ?", (n, chat_id))
        db.execute(
            "UPDATE threads SET total_events = total_events + ? WHERE id = ?", (n, thread_id)
        )
        inserted += n
    db.execute("COMMIT")
    if has_stat:
        db.execute("PRAGMA analysis_limit=1000")
        db.execute("ANALYZE")
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    return {"inserted": inserted, "seconds": round(time.perf_counter() - t0, 1)}


def main() -> int:
    db_path = sys.argv[1]
    with open(sys.argv[2]) as f:
        plan = json.load(f)
    out = seed(
        db_path,
        [(c, int(n)) for c, n in plan["chats"]],
        plan.get("text", "plain"),
        int(plan.get("start_k", 0)),
    )
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
