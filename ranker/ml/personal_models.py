"""The user's personal models, versioned in the data dir: personal_models/v1.pt, v2.pt, ... plus
active.json {"active": "v2"} naming the one `rank` uses (see ranker.ml.active_model). Revert = no pointer."""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ranker.io.files import atomic_write_text
from ranker.ml.active_model import personal_dir
from ranker.ml.checkpoint import CheckpointError, load_checkpoint, save_checkpoint

if TYPE_CHECKING:
    from ranker.ml.model import MultiFeaturePairwiseRanker

_ID = re.compile(r"^v(\d+)$")


class PersonalModelError(ValueError):
    """A personal-model request that cannot be done (unknown id, nothing active, ...); the message says why."""


@dataclass(frozen=True)
class PersonalModel:
    id: str  # "v3"
    path: Path
    active: bool
    info: dict[str, Any] = field(default_factory=dict)  # provenance: base model, pairs, held-out agreement, created
    error: str | None = None  # why it cannot be used (e.g. trained on features this install no longer computes)

    @property
    def number(self) -> int:
        match = _ID.match(self.id)
        if match is None:
            raise PersonalModelError(f"{self.id!r} is not a personal model id (v1, v2, ...)")
        return int(match.group(1))

    def describe(self) -> str:
        """One line for `models personal list`."""
        info = self.info
        parts = [info.get("created", "?")]
        if "held_out_after" in info:
            parts.append(
                f"held-out agreement {info['held_out_before']:.0%} → {info['held_out_after']:.0%} "
                f"on {info.get('held_out', '?')} choices"
            )
        if info.get("pairs"):
            parts.append(f"{sum(info['pairs'].values())} pairs")
        if info.get("imported_from"):
            parts.append(f"imported from {info['imported_from']}")
        if self.error:
            parts.append(f"UNUSABLE: {self.error}")
        return "; ".join(parts)


def normalise_id(model_id: str) -> str:
    """'3', 'v3' and 'V3' all name v3."""
    text = str(model_id).strip().lower()
    if text.isdigit():
        text = f"v{int(text)}"
    if not _ID.match(text):
        raise PersonalModelError(
            f"{model_id!r} is not a personal model id (they look like v1, v2, ...; "
            "see `phototriage models personal list`)"
        )
    return text


def model_path(model_id: str) -> Path:
    return personal_dir() / f"{normalise_id(model_id)}.pt"


def _pointer() -> Path:
    return personal_dir() / "active.json"


def active_id() -> str | None:
    """The id active.json names, when that model file exists."""
    try:
        model_id = json.loads(_pointer().read_text())["active"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not model_id or not isinstance(model_id, str) or not (personal_dir() / f"{model_id}.pt").exists():
        return None
    return model_id


def _write_pointer(model_id: str | None) -> None:
    pointer = _pointer()
    if model_id is None:
        pointer.unlink(missing_ok=True)
        return
    atomic_write_text(pointer, json.dumps({"active": model_id}))


def _ids() -> list[str]:
    found = [p.stem for p in personal_dir().glob("v*.pt") if _ID.match(p.stem)]
    return sorted(found, key=lambda i: int(i[1:]))


def _next_id() -> str:
    ids = _ids()
    return f"v{int(ids[-1][1:]) + 1 if ids else 1}"


def get(model_id: str) -> PersonalModel:
    model_id = normalise_id(model_id)
    path = model_path(model_id)
    if not path.exists():
        known = ", ".join(_ids()) or "none yet"
        raise PersonalModelError(f"no personal model {model_id} (known: {known})")
    try:
        checkpoint = load_checkpoint(path)
        info, error = checkpoint.info, None
    except CheckpointError as exc:
        info, error = {}, exc.reason
        try:
            info = load_checkpoint(path, check_versions=False).info
        except CheckpointError:
            pass
    return PersonalModel(model_id, path, model_id == active_id(), dict(info), error)


def list_models() -> list[PersonalModel]:
    """Every personal model, oldest first."""
    return [get(model_id) for model_id in _ids()]


def save_personal(
    model: MultiFeaturePairwiseRanker, training_config: dict[str, Any] | None = None, info: dict[str, Any] | None = None
) -> PersonalModel:
    """Store a fine-tuned model under the next id (not activated)."""
    model_id = _next_id()
    path = model_path(model_id)
    save_checkpoint(path, model, training_config, {"name": f"personal {model_id}", **(info or {})})
    return PersonalModel(model_id, path, False, load_checkpoint(path).info)


def activate(model_id: str) -> PersonalModel:
    """Make `rank` (and the GUI) use this model; scores are cached per model file, so every folder
    is re-scored with it on its next ranking."""
    model = get(model_id)
    if model.error:
        raise PersonalModelError(f"personal model {model.id} cannot be used: {model.error}")
    _write_pointer(model.id)
    return PersonalModel(model.id, model.path, True, model.info)


def revert() -> str | None:
    """Back to the shipped default (or full) model; returns the id that was active. Models are kept."""
    previous = active_id()
    _write_pointer(None)
    return previous


def export(dest: Path | str, model_id: str | None = None) -> Path:
    """Copy a personal model (default: the active one) to a file."""
    if model_id is None:
        model_id = active_id()
        if model_id is None:
            raise PersonalModelError(
                "no personal model is active; name the one to export (see `phototriage models personal list`)"
            )
    source = get(model_id).path
    dest = Path(dest)
    if dest.is_dir():
        dest = dest / f"phototriage-personal-{normalise_id(model_id)}.pt"
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, dest)
    return dest


def import_model(source: Path | str, activate_it: bool = False) -> PersonalModel:
    """Add a model file (exported elsewhere) as the next version, after load_checkpoint accepts it:
    architecture, feature set and extractor versions must all fit this install."""
    source = Path(source)
    checkpoint = load_checkpoint(source)  # raises CheckpointError with the reason
    model_id = _next_id()
    info = {k: v for k, v in checkpoint.info.items() if k != "name"}
    info.update(name=f"personal {model_id}", imported_from=str(source))
    path = model_path(model_id)
    save_checkpoint(path, checkpoint.model, checkpoint.training_config, info)
    load_checkpoint(path)
    model = PersonalModel(model_id, path, False, info)
    return activate(model_id) if activate_it else model
