"""The last ranked view of each shoot, kept as JSON: an unchanged folder reopens ranked at once, not ranked again."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable
from pathlib import Path

from phototriage_gui.models.shoot import Burst, PhotoItem, Shoot
from ranker.io.files import atomic_write_text
from ranker.ml.model_info import ModelInfo
from ranker.paths import data_dir, resources_dir

#: 2: quality, faces and confidence kept; 3: the input-group effects (an older file ranks again)
VERSION = 3
#: where ranker.ml.active_model finds its candidates (importing it loads torch; tests check these agree)
MODEL_FILES = (
    ("data", "personal_models/active.json"),
    ("data", "models/full_ranker.pt"),
    ("resources", "default_ranker.pt"),
)


def _file(root: Path, recursive: bool) -> Path:
    name = hashlib.sha1(os.fsencode(f"{Path(root).resolve()}|{recursive}")).hexdigest()[:20]
    return data_dir() / "shoots" / f"{name}.json"


def _states(paths: Iterable[Path]) -> dict[str, list[int]] | None:
    """(size, mtime_ns) of every file and of every XMP sidecar beside them (another tool may have
    changed a rating there: the pipeline reads it back); None when a file cannot be stat'ed."""
    paths = list(paths)
    states = {}
    for path in paths:
        try:
            st = os.stat(path)
        except OSError:
            return None
        states[os.fsdecode(path)] = [st.st_size, st.st_mtime_ns]
    for folder in {Path(p).parent for p in paths}:
        try:
            entries = [e for e in os.scandir(folder) if e.name.lower().endswith(".xmp") and e.is_file()]
        except OSError:
            return None
        for entry in entries:
            st = entry.stat()
            states[os.fsdecode(entry.path)] = [st.st_size, st.st_mtime_ns]
    return states


def model_signature() -> list:
    """What decides which model ranks, read without loading it (no torch): the personal-model pointer and
    the candidate checkpoints' sizes and times. Downloads and learning re-rank explicitly anyway."""
    bases = {"data": data_dir(), "resources": resources_dir()}
    pointer = bases[MODEL_FILES[0][0]] / MODEL_FILES[0][1]
    candidates: list[Path | None] = [bases[base] / name for base, name in MODEL_FILES]
    try:
        active = json.loads(pointer.read_text()).get("active")
        candidates.append(pointer.parent / f"{active}.pt" if active else None)
    except (OSError, ValueError, AttributeError):
        candidates.append(None)
    signature = []
    for path in candidates:
        try:
            st = os.stat(path) if path is not None else None
        except OSError:
            st = None
        signature.append(
            [os.fsdecode(path) if path else None, st.st_size if st else None, st.st_mtime_ns if st else None]
        )
    return signature


def save(shoot: Shoot, recursive: bool) -> None:
    """Remember `shoot` (ranked) with the state of its files and of the model choice. Best effort: a
    failed write only means the next opening ranks again."""
    states = _states(p for photo in shoot.photos for p in photo.paths)
    if states is None or not shoot.ranked:
        return
    data = {
        "version": VERSION,
        "root": os.fsdecode(shoot.root),
        "model": shoot.model.to_json() if shoot.model else None,
        "states": states,
        "model_signature": model_signature(),
        "bursts": [
            {"number": b.number, "kind": b.kind, "keys": list(b.keys), "confidence": b.confidence} for b in shoot.bursts
        ],
        "photos": [
            {
                "key": p.key,
                "paths": [os.fsdecode(x) for x in p.paths],
                "decode": os.fsdecode(p.decode_path),
                "id": p.photo_id,
                "burst": p.burst,
                "rank": p.rank,
                "score": p.score,
                "signals": p.signals,
                "metadata": p.metadata,
                "faces": list(p.faces),
                "quality": p.quality,
                "effects": p.effects,
            }
            for p in shoot.photos
        ],
    }
    target = _file(shoot.root, recursive)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(target, json.dumps(data))
    except (OSError, TypeError, ValueError):
        pass  # a cache that cannot be saved only costs a re-rank next time; nothing half-written remains


def load(root: Path, recursive: bool, listed_keys: set[str]) -> Shoot | None:
    """The remembered ranked shoot when the folder lists the same photos, no file changed since, and the
    same model would rank it; else None."""
    try:
        data = json.loads(_file(root, recursive).read_text(encoding="utf-8"))
        if data.get("version") != VERSION or {p["key"] for p in data["photos"]} != listed_keys:
            return None
        files = [Path(x) for p in data["photos"] for x in p["paths"]]
        if _states(files) != data["states"] or data["model_signature"] != model_signature():
            return None
        photos = [
            PhotoItem(
                p["key"],
                tuple(Path(x) for x in p["paths"]),
                Path(p["decode"]),
                p["id"],
                p["burst"],
                p["rank"],
                p["score"],
                dict(p["signals"]),
                dict(p["metadata"]),
                tuple(dict(f) for f in p["faces"]),
                p["quality"],
                dict(p["effects"]),
            )
            for p in data["photos"]
        ]
        bursts = [Burst(b["number"], b["kind"], tuple(b["keys"]), b["confidence"]) for b in data["bursts"]]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return Shoot(
        Path(root), photos, bursts, ranked=True, model=ModelInfo.from_json(data["model"]) if data.get("model") else None
    )
