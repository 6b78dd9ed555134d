"""Training pairs from the user's own choices: compare-view picks, a choices file, and pairs implied by pick/reject."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path

from ranker.decisions import Decision, Flag
from ranker.errors import UsageError
from ranker.problems import Problem
from ranker.store.catalog import Catalog

#: Where a pair came from, and how much it counts. Explicit choices (the compare view, a choices file)
#: are the user's own words; pairs implied by flags and stars inside a burst are weaker evidence.
SOURCE_WEIGHTS = {
    "choice": 1.0,  # compare view, stored in the catalog
    "file": 1.0,  # a line of a choices file
    "pick>reject": 0.5,
    "rating": 0.4,  # higher star rating over lower, both rated
    "pick>unflagged": 0.3,
}


EXPLICIT_SOURCES = ("choice", "file")


@dataclass(frozen=True)
class TrainingPair:
    """One 'winner is better than loser' statement about two catalog photos, with its provenance."""

    winner: int
    loser: int
    source: str  # a SOURCE_WEIGHTS key
    origin: str = ""  # exactly where: "choice 12 (compare)", "picks.jsonl:7", "burst 3 of /shoot"
    weight: float | None = None  # None: the source's weight

    def __post_init__(self) -> None:
        if self.weight is None:
            object.__setattr__(self, "weight", SOURCE_WEIGHTS[self.source])

    @property
    def key(self) -> frozenset[int]:
        return frozenset((self.winner, self.loser))

    @property
    def explicit(self) -> bool:
        return self.source in EXPLICIT_SOURCES


def catalog_choices(catalog: Catalog, photo_ids: set[int] | None = None) -> list[TrainingPair]:
    """The compare view's choices stored in the catalog (optionally only those between `photo_ids`)."""
    pairs = []
    for choice_id, winner, loser, source, _created in catalog.choices():
        if photo_ids is not None and not (winner in photo_ids and loser in photo_ids):
            continue
        pairs.append(TrainingPair(winner, loser, "choice", f"choice {choice_id} ({source})"))
    return pairs


def _lookup_path(catalog: Catalog, text: str, bases: Sequence[Path]) -> int | None:
    """The catalog id of a photo named by a path as the user wrote it (absolute or relative to a base)."""
    path = Path(os.path.expanduser(text))
    candidates = [path] if path.is_absolute() else [base / path for base in bases] + [path]
    seen = set()
    for candidate in candidates:
        for form in (candidate, Path(os.path.abspath(candidate)), candidate.resolve()):
            if form in seen:
                continue
            seen.add(form)
            photo_id = catalog.photo_for_path(form)
            if photo_id is not None:
                return photo_id
    return None


def read_choices_file(
    path: Path | str,
    catalog: Catalog,
    base: Path | str | None = None,
) -> tuple[list[TrainingPair], list[Problem]]:
    """Lines of {"winner": PATH, "loser": PATH} (JSON Lines; blank and '#' lines ignored).

    Relative paths are tried against `base` (e.g. the shoot folder), the file's own folder and the
    working directory. Bad lines are reported with their number and skipped: unreadable JSON, a photo
    the catalog does not know (its folder must be ranked first), a photo against itself. Contradictory
    duplicates are left to `merge_pairs`, which reports them.
    """
    path = Path(path)
    bases = [Path(base)] if base is not None else []
    bases.append(path.parent)
    pairs: list[TrainingPair] = []
    problems: list[Problem] = []
    with open(path, encoding="utf-8") as fh:
        lines = fh.read().splitlines()
    for number, line in enumerate(lines, start=1):
        where = f"{path.name}:{number}"
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        try:
            record = json.loads(text)
        except json.JSONDecodeError as exc:
            problems.append(Problem(where, f"not a JSON object ({exc.msg})"))
            continue
        if not isinstance(record, dict) or not all(
            isinstance(record.get(k), str) and record.get(k) for k in ("winner", "loser")
        ):
            problems.append(Problem(where, 'expected {"winner": PATH, "loser": PATH}'))
            continue
        ids = []
        for role in ("winner", "loser"):
            photo_id = _lookup_path(catalog, record[role], bases)
            if photo_id is None:
                name = record[role]
                if any((b / name).exists() for b in bases) or Path(name).exists():
                    problems.append(
                        Problem(
                            where,
                            f"{role} {name} is not in the catalog: rank its folder first "
                            "(phototriage rank FOLDER), then learn again",
                        )
                    )
                else:
                    problems.append(Problem(where, f"{role} {name}: no such photo (and not in the catalog)"))
                break
            ids.append(photo_id)
        else:
            if ids[0] == ids[1]:
                problems.append(Problem(where, "a photo cannot be chosen over itself"))
                continue
            pairs.append(TrainingPair(ids[0], ids[1], "file", where))
    return pairs, problems


def list_shoots(catalog: Catalog) -> list[str]:
    """Every shoot (folder key) the catalog holds a burst grouping for."""
    return catalog.shoots()


def implied_pair(a: int, b: int, decisions: Mapping[int, Decision]) -> tuple[int, int, str] | None:
    """(winner, loser, source) that a's and b's decisions imply, or None. One rule per pair, so the
    rules cannot contradict each other: flags first (pick > reject, pick > unflagged), then stars
    when both are rated (a rejected photo never wins on stars)."""
    da, db = decisions.get(a, Decision()), decisions.get(b, Decision())
    for (x, dx), (y, dy) in (((a, da), (b, db)), ((b, db), (a, da))):
        if dx.flag == Flag.PICK and dy.flag == Flag.REJECT:
            return x, y, "pick>reject"
        if dx.flag == Flag.PICK and dy.flag is None:
            return x, y, "pick>unflagged"
    if da.flag == db.flag or (da.flag != Flag.PICK and db.flag != Flag.PICK):
        if da.rating and db.rating and da.rating != db.rating:
            (x, dx), (y, _dy) = sorted(((a, da), (b, db)), key=lambda item: -item[1].rating)
            if dx.flag != Flag.REJECT:
                return x, y, "rating"
    return None


def implied_pairs(catalog: Catalog, shoots: Iterable[str] | None = None) -> list[TrainingPair]:
    """Pairs implied by flags and stars between photos of the same burst (never across bursts:
    a pick in one scene says nothing about a photo of another)."""
    pairs: list[TrainingPair] = []
    seen: set[frozenset[int]] = set()
    for shoot in list_shoots(catalog) if shoots is None else shoots:
        for number, _kind, members in catalog.bursts(shoot):
            if len(members) < 2:
                continue
            decisions = catalog.decisions(members)
            if all(d.is_empty for d in decisions.values()):
                continue
            for a, b in combinations(members, 2):
                found = implied_pair(a, b, decisions)
                if found is None or frozenset((a, b)) in seen:
                    continue
                seen.add(frozenset((a, b)))
                pairs.append(TrainingPair(found[0], found[1], found[2], f"burst {number} of {shoot}"))
    return pairs


def shoot_photo_ids(catalog: Catalog, shoot: str) -> set[int]:
    return {pid for _number, _kind, members in catalog.bursts(shoot) for pid in members}


def merge_pairs(*groups: Iterable[TrainingPair]) -> tuple[list[TrainingPair], list[Problem]]:
    """One statement per photo pair. Explicit choices that contradict each other (A over B and B over A)
    are all skipped and reported; exact duplicates count once; an explicit choice overrides what
    decisions imply about the same two photos."""
    explicit: dict[frozenset[int], list[TrainingPair]] = {}
    implied: dict[frozenset[int], TrainingPair] = {}
    for group in groups:
        for pair in group:
            if pair.winner == pair.loser:
                continue
            if pair.explicit:
                explicit.setdefault(pair.key, []).append(pair)
            else:
                implied.setdefault(pair.key, pair)
    merged: list[TrainingPair] = []
    problems: list[Problem] = []
    for statements in explicit.values():
        if len({p.winner for p in statements}) > 1:
            origins = ", ".join(p.origin for p in statements)
            for pair in statements:
                problems.append(
                    Problem(pair.origin, f"contradicts another choice of the same two photos ({origins}); skipped")
                )
            continue
        merged.append(statements[0])
    merged.extend(pair for key, pair in implied.items() if key not in explicit)
    return merged, problems


def count_sources(pairs: Iterable[TrainingPair]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for pair in pairs:
        counts[pair.source] = counts.get(pair.source, 0) + 1
    return counts


def collect_pairs(
    catalog: Catalog,
    *,
    from_catalog: bool = True,
    choices_file: Path | str | None = None,
    folder: Path | str | None = None,
    recursive: bool = False,
) -> tuple[list[TrainingPair], list[Problem]]:
    """Everything `phototriage learn` learns from: catalog choices and decision-implied pairs (all
    shoots, or only `folder`'s), plus a choices file; merged, with every skipped input reported."""
    from ranker.culling.ranking_assembly import shoot_key

    groups: list[list[TrainingPair]] = []
    problems: list[Problem] = []
    photo_ids = None
    shoots = None
    if folder is not None:
        shoot = shoot_key(Path(folder), recursive)
        photo_ids = shoot_photo_ids(catalog, shoot)
        if not photo_ids:
            raise UsageError(f"{folder}: this folder has not been ranked yet; run `phototriage rank {folder}` first")
        shoots = [shoot]
    if from_catalog:
        groups.append(catalog_choices(catalog, photo_ids))
        groups.append(implied_pairs(catalog, shoots))
    if choices_file is not None:
        pairs, bad = read_choices_file(choices_file, catalog, base=folder)
        groups.append(pairs)
        problems.extend(bad)
    merged, conflicts = merge_pairs(*groups)
    return merged, problems + conflicts
