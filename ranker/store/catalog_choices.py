"""The catalog's pairwise choices: which photo the user said is better than which, in the order they said it."""

from __future__ import annotations

from typing import cast

from ranker.store.catalog_db import CatalogDb, now
from ranker.store.catalog_rows import Choice


def add_choice(db: CatalogDb, winner_id: int, loser_id: int, source: str = "compare") -> int:
    if winner_id == loser_id:
        raise ValueError("a photo cannot be chosen over itself")
    with db.write() as conn:
        # sqlite3 types lastrowid Optional; after an INSERT it is the new row's id
        return cast(
            int,
            conn.execute(
                "INSERT INTO choices (winner_id, loser_id, source, created) VALUES (?,?,?,?)",
                (winner_id, loser_id, source, now()),
            ).lastrowid,
        )


def remove_choice(db: CatalogDb, choice_id: int) -> None:
    with db.write() as conn:
        conn.execute("DELETE FROM choices WHERE id = ?", (choice_id,))


def choices(db: CatalogDb) -> list[Choice]:
    """Every pairwise choice, in the order they were made."""
    return [Choice(*r) for r in db.read("SELECT id, winner_id, loser_id, source, created FROM choices ORDER BY id")]
