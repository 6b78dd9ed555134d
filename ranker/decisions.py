"""The user's verdict on one photo: flag, star rating and colour label (Lightroom's vocabulary)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any


class Flag(StrEnum):
    """A photo's flag (no flag is None)."""

    PICK = "pick"
    REJECT = "reject"

    def __repr__(self) -> str:
        return repr(self.value)  # a Decision in a notice or a failed test reads Decision(flag='pick', ...)


class Label(StrEnum):
    """A colour label, in xmp:Label order (darktable numbers its colorlabels 0-4 in this order)."""

    RED = "red"
    YELLOW = "yellow"
    GREEN = "green"
    BLUE = "blue"
    PURPLE = "purple"

    def __repr__(self) -> str:
        return repr(self.value)


FLAGS: tuple[Flag | None, ...] = (None, *Flag)
LABELS: tuple[Label | None, ...] = (None, *Label)


def as_flag(value: object) -> Flag | None:
    """The flag `value` names ("pick" from XMP, JSON or a catalog row), None for None; ValueError otherwise."""
    if value is None or isinstance(value, Flag):
        return value
    try:
        return Flag(str(value))
    except ValueError:
        raise ValueError(f"flag must be one of {[f and f.value for f in FLAGS]}, not {value!r}") from None


def as_label(value: object) -> Label | None:
    """The colour label `value` names, whatever its case ("Red" from XMP is our red); ValueError otherwise."""
    if value is None or isinstance(value, Label):
        return value
    try:
        return Label(str(value).lower())
    except ValueError:
        raise ValueError(f"label must be one of {[c and c.value for c in LABELS]}, not {value!r}") from None


#: Label names other tools write in the user's language (Lightroom localises its label set).
LOCAL_LABEL_NAMES = {
    "rot": "red",
    "rouge": "red",
    "rojo": "red",
    "rosso": "red",
    "vermelho": "red",
    "gelb": "yellow",
    "jaune": "yellow",
    "amarillo": "yellow",
    "giallo": "yellow",
    "amarelo": "yellow",
    "grün": "green",
    "gruen": "green",
    "vert": "green",
    "verde": "green",
    "blau": "blue",
    "bleu": "blue",
    "azul": "blue",
    "blu": "blue",
    "lila": "purple",
    "violett": "purple",
    "violet": "purple",
    "púrpura": "purple",
    "viola": "purple",
    "roxo": "purple",
    "magenta": "purple",
}
_LABEL_VALUES = frozenset(label.value for label in Label)


def label_name(value: object) -> Label | None:
    """Our label for a colour name another tool wrote (English or localised), else None."""
    if not isinstance(value, str):
        return None
    name = value.strip().lower()
    ours = name if name in _LABEL_VALUES else LOCAL_LABEL_NAMES.get(name)
    return Label(ours) if ours is not None else None


#: The longest label name kept from another tool's xmp:Label.
MAX_LABEL_NAME = 64


@dataclass(frozen=True)
class Decision:
    flag: Flag | None = None
    rating: int = 0  # 0-5 stars
    label: Label | None = None
    #: xmp:Label as another tool spelled it, when that is not our English name: the same colour in the
    #: user's language ("Rot" for red) or a name of their own ("Approved", "Select", with label None).
    #: Dropped when the label changes to something it does not name (the user picked a colour here).
    #: Not part of ==: a decision is the same verdict whatever a tool calls its label (see `names`).
    label_name: str | None = field(default=None, compare=False)
    #: darktable's further colour labels beside `label` (its colorlabels list holds several), in
    #: LABELS order; none without a label. Not part of == either.
    more_labels: tuple[Label, ...] = field(default=(), compare=False)

    def __post_init__(self) -> None:
        # XMP, JSON and the catalog hand over plain strings: each becomes its enum member here.
        object.__setattr__(self, "flag", as_flag(self.flag))
        if isinstance(self.rating, bool) or not isinstance(self.rating, int) or not 0 <= self.rating <= 5:
            raise ValueError(f"rating must be an int 0-5, not {self.rating!r}")
        object.__setattr__(self, "label", as_label(self.label))
        self._check_names()

    def _check_names(self) -> None:
        name = self.label_name
        if name is not None:
            if not isinstance(name, str) or len(name.strip()) > MAX_LABEL_NAME:
                raise ValueError(f"label_name must be text of at most {MAX_LABEL_NAME} characters, not {name!r}")
            name = name.strip()
            canonical = self.label.capitalize() if self.label else None
            if not name or name == canonical or label_name(name) != self.label:
                name = None  # nothing beyond our own name, or a name for another colour than ours
        object.__setattr__(self, "label_name", name)
        more = self.more_labels
        if isinstance(more, str) or not all(isinstance(m, str) for m in more):
            raise ValueError(f"more_labels must be colour names, not {more!r}")
        names = {m.lower() for m in more}
        if not names <= set(Label):
            raise ValueError(f"more_labels must be among {[c.value for c in Label]}, not {more!r}")
        kept = tuple(c for c in Label if c in names and c != self.label) if self.label else ()
        object.__setattr__(self, "more_labels", kept)

    @property
    def names(self) -> tuple[str | None, tuple[Label, ...]]:
        """What the decision holds beyond flag, rating and colour: (label_name, more_labels)."""
        return self.label_name, self.more_labels

    @property
    def is_empty(self) -> bool:
        return self.flag is None and self.rating == 0 and self.label is None and self.label_name is None

    def with_(self, **changes: Any) -> Decision:
        return replace(self, **changes)
