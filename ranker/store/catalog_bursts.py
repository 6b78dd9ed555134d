"""The catalog's stored burst groupings: each shoot's bursts, numbered, their photos in capture order."""

from __future__ import annotations

import os
from collections.abc import Iterable

from ranker.bursts import BurstKind
from ranker.store.catalog_db import CatalogDb
from ranker.store.catalog_rows import BurstRow
from ranker.store.catalog_schema import db_path


def replace_bursts(db: CatalogDb, shoot: str, bursts: list[tuple[str, list[int]]]) -> None:
    """Store a shoot's grouping: [(kind, [photo ids in capture order])], numbered from 1."""
    key = db_path(shoot)
    with db.write() as conn:
        conn.execute("DELETE FROM burst_members WHERE shoot = ?", (key,))
        conn.execute("DELETE FROM bursts WHERE shoot = ?", (key,))
        for number, (kind, members) in enumerate(bursts, start=1):
            conn.execute("INSERT INTO bursts VALUES (?,?,?)", (key, number, kind))
            conn.executemany(
                "INSERT INTO burst_members VALUES (?,?,?,?)",
                [(key, number, pid, pos) for pos, pid in enumerate(members)],
            )


def shoots(db: CatalogDb) -> list[str]:
    """Every shoot (folder key) with a stored burst grouping."""
    return [os.fsdecode(row[0]) for row in db.read("SELECT DISTINCT shoot FROM bursts ORDER BY shoot")]


def bursts(db: CatalogDb, shoot: str) -> list[BurstRow]:
    key = db_path(shoot)
    kinds = db.read("SELECT number, kind FROM bursts WHERE shoot = ? ORDER BY number", (key,))
    members = db.read("SELECT burst, photo_id FROM burst_members WHERE shoot = ? ORDER BY burst, position", (key,))
    grouped: dict[int, list[int]] = {n: [] for n, _ in kinds}
    for burst, pid in members:
        grouped[burst].append(pid)
    return [BurstRow(n, BurstKind(kind), grouped[n]) for n, kind in kinds]


def burst_mates(db: CatalogDb, photo_ids: Iterable[int]) -> list[list[int]]:
    """The stored burst of each given photo (its first shoot's, when several shoots hold it), each
    burst once; photos in no stored burst are left out."""
    ids = list(photo_ids)
    chosen: dict[int, tuple[str, int]] = {}
    for start in range(0, len(ids), 500):  # SQLite caps the number of bound parameters
        chunk = ids[start : start + 500]
        rows = db.read(
            f"SELECT photo_id, shoot, burst FROM burst_members WHERE photo_id IN "
            f"({','.join('?' * len(chunk))}) ORDER BY shoot",
            chunk,
        )
        for photo_id, shoot, burst in rows:
            chosen.setdefault(photo_id, (shoot, burst))
    return [
        [
            row[0]
            for row in db.read(
                "SELECT photo_id FROM burst_members WHERE shoot = ? AND burst = ? ORDER BY position", key
            )
        ]
        for key in dict.fromkeys(chosen.values())
    ]
