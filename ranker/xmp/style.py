"""How a decision is spelled in XMP for each tool (sidecar style, pick expression) and how to read it back."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from ranker.decisions import MAX_LABEL_NAME, Decision, Flag, Label, as_flag, as_label, label_name
from ranker.errors import UsageError

#: one value of an XMP property: simple text, or an rdf:Seq/Bag/Alt's items
PropValue = str | list[str]
#: the properties of a sidecar, by (namespace, name): one value per rdf:Description that sets it
Props = dict[tuple[str, str], list[PropValue]]

NS_RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
NS_XMP = "http://ns.adobe.com/xap/1.0/"
NS_DIGIKAM = "http://www.digikam.org/ns/1.0/"
NS_DARKTABLE = "http://darktable.sf.net/"
NS_PHOTOMECHANIC = "http://ns.camerabits.com/photomechanic/1.0/"
NS_MSPHOTO = "http://ns.microsoft.com/photo/1.0/"
NS_PHOTOTRIAGE = "https://phototriage.app/ns/1.0/"

# The colour labels in xmp:Label order (darktable's colorlabels numbers), without "no label".
LABELS = tuple(Label)
#: adobe: IMG.xmp (Lightroom, Capture One, Bridge, Photo Mechanic); darktable, digikam: IMG.CR2.xmp
SIDECAR_STYLES = ("adobe", "darktable", "digikam")
#: how a pick reaches tools without a pick flag: a colour label, a minimum star rating, or both
PICK_STYLES = ("label", "stars", "both")

RATING = (NS_XMP, "Rating")
LABEL = (NS_XMP, "Label")
PICK_LABEL = (NS_DIGIKAM, "PickLabel")
DIGIKAM_COLOR = (NS_DIGIKAM, "ColorLabel")
COLORLABELS = (NS_DARKTABLE, "colorlabels")
PM_TAGGED = (NS_PHOTOMECHANIC, "Tagged")
PM_PREFS = (NS_PHOTOMECHANIC, "Prefs")
PM_COLOR = (NS_PHOTOMECHANIC, "ColorClass")
MS_RATING = (NS_MSPHOTO, "Rating")
# Our own record of the decision, so a reader can tell what another tool changed since we wrote.
OUR_FLAG = (NS_PHOTOTRIAGE, "Flag")
OUR_STARS = (NS_PHOTOTRIAGE, "Stars")
OUR_COLOR = (NS_PHOTOTRIAGE, "Color")
OUR_PICK_AS = (NS_PHOTOTRIAGE, "PickAs")

# digiKam's ColorLabel numbering: 0 none, 1 red, 2 orange, 3 yellow, 4 green, 5 blue, 6 magenta, 7 grey...
DIGIKAM_COLOR_NUMBER = {"red": 1, "yellow": 3, "green": 4, "blue": 5, "purple": 6}
# Photo Mechanic's default colour classes: 1 Winner (red), 3 Superior (yellow), 4 Superior alt (green),
# 5 Typical (blue), 6 Typical alt (purple).
PM_COLOR_NUMBER = {"red": 1, "yellow": 3, "green": 4, "blue": 5, "purple": 6}
# Windows' MicrosoftPhoto:Rating is a percentage; these are the values Explorer writes for 1-5 stars.
MS_PERCENT = {0: 0, 1: 1, 2: 25, 3: 50, 4: 75, 5: 99}


@dataclass(frozen=True)
class XmpStyle:
    """One library's choice of sidecar name and of how a pick shows in tools that have no pick flag."""

    sidecar: str = "adobe"
    #: default "both": a Lightroom user can filter picks by label (Green) or by rating (★ and up)
    pick_as: str = "both"
    pick_label: str = Label.GREEN.value  # spelled as in preferences.json and the OUR_PICK_AS token
    pick_min_rating: int = 1

    def __post_init__(self) -> None:
        if self.sidecar not in SIDECAR_STYLES:
            raise UsageError(f"sidecar style must be one of {SIDECAR_STYLES}, not {self.sidecar!r}")
        if self.pick_as not in PICK_STYLES:
            raise UsageError(f"pick_as must be one of {PICK_STYLES}, not {self.pick_as!r}")
        if self.pick_label not in LABELS:
            raise UsageError(f"pick_label must be one of {LABELS}, not {self.pick_label!r}")
        if isinstance(self.pick_min_rating, bool) or self.pick_min_rating not in range(1, 6):
            raise UsageError(f"pick_min_rating must be 1-5, not {self.pick_min_rating!r}")

    def token(self) -> str:
        """How this style is recorded in the file: 'both green 1 adobe'."""
        return f"{self.pick_as} {self.pick_label} {self.pick_min_rating} {self.sidecar}"

    @classmethod
    def from_token(cls, text: str) -> XmpStyle | None:
        try:
            pick_as, label, stars, *sidecar = text.split()
            return cls(sidecar[0] if sidecar else "adobe", pick_as, label, int(stars))
        except (ValueError, TypeError, IndexError):
            return None


def as_style(style: XmpStyle | str | None) -> XmpStyle:
    if isinstance(style, XmpStyle):
        return style
    return XmpStyle() if style is None else XmpStyle(sidecar=style)


@dataclass(frozen=True)
class Expression:
    """The standard fields that carry one decision: None means the field is not written (or is removed)."""

    rating: int | None  # xmp:Rating: -1 reject, 1-5 stars; never 0 for "undecided"
    label: Label | None  # the colour: xmp:Label, or darktable:colorlabels in darktable style
    pick_label: int | None  # digiKam:PickLabel: 1 reject, 3 accepted


def express(decision: Decision, style: XmpStyle) -> Expression:
    """The fields for `decision`. darktable style states "0" stars outright (darktable gives a sidecar
    without xmp:Rating its 1-star import default, measured with 4.2.1); the others leave it out."""
    if decision.flag == Flag.REJECT:
        return Expression(-1, decision.label, 1)
    rating = decision.rating
    label = decision.label
    if decision.flag == Flag.PICK:
        if style.pick_as in ("stars", "both"):
            rating = max(rating, style.pick_min_rating)
        if style.pick_as in ("label", "both") and label is None:
            label = Label(style.pick_label)
        return Expression(rating or _no_stars(style), label, 3)
    return Expression(rating or _no_stars(style), label, None)


def _no_stars(style: XmpStyle) -> int | None:
    return 0 if style.sidecar == "darktable" else None


def first_int(values: Sequence[PropValue] | None) -> int | None:
    for v in values or []:
        if isinstance(v, str):
            try:
                f = float(v.strip())
            except ValueError:
                continue
            if math.isfinite(f):
                return round(f)
    return None


def colorlabel_ints(values: Sequence[PropValue] | None) -> list[int] | None:
    """darktable's colour labels (0 red .. 4 purple), in file order; None when the field is absent."""
    if values is None:
        return None
    out: list[int] = []
    for seq in values:
        for v in seq if isinstance(seq, list) else [seq]:
            i = first_int([v])
            if i is not None and 0 <= i < len(LABELS) and i not in out:
                out.append(i)
    return out


def _is_true(values: Sequence[PropValue] | None) -> bool | None:
    if not values:
        return None
    return any(isinstance(v, str) and v.strip().lower() in ("true", "1", "yes") for v in values)


def foreign_decision(props: Props) -> Decision | None:
    """The decision other tools' fields express, with no knowledge of what we wrote."""
    keys = [RATING, LABEL, PICK_LABEL, DIGIKAM_COLOR, COLORLABELS, PM_TAGGED, MS_RATING]
    if not any(k in props for k in keys):
        return None
    rating_raw = first_int(props.get(RATING))
    if rating_raw is None and MS_RATING in props:  # Windows Explorer writes only its percentage
        percent = first_int(props.get(MS_RATING))
        if percent is not None:
            rating_raw = min((s for s, p in MS_PERCENT.items() if p >= percent), default=5)
    pick_label = first_int(props.get(PICK_LABEL))
    # An explicit reject anywhere wins: losing a reject is worse than losing a pick.
    flag: Flag | None = None
    if rating_raw == -1 or pick_label == 1:
        flag = Flag.REJECT
    elif pick_label == 3 or _is_true(props.get(PM_TAGGED)):
        flag = Flag.PICK
    rating = min(rating_raw, 5) if rating_raw is not None and rating_raw >= 0 else 0
    label: Label | None = None
    for v in props.get(LABEL, []):
        label = label_name(v)
        if label is not None:
            break
    if LABEL not in props:
        ints = colorlabel_ints(props.get(COLORLABELS))
        if ints:
            label = LABELS[ints[0]]
        if label is None:
            back: dict[int | None, Label] = {n: Label(c) for c, n in DIGIKAM_COLOR_NUMBER.items()}  # None: none
            label = back.get(first_int(props.get(DIGIKAM_COLOR)))
    return with_names(Decision(flag, rating, label), props)


def with_names(decision: Decision, props: Props) -> Decision:
    """`decision` with what the file holds beyond our five colour names: xmp:Label as the other tool
    spelled it ("Rot", "Approved"), and darktable's further colour labels (Decision keeps only those
    consistent with its label)."""
    values = [v for v in props.get(LABEL, []) if isinstance(v, str) and v.strip()]
    ints = colorlabel_ints(props.get(COLORLABELS)) or []
    more = tuple(LABELS[i] for i in ints)
    name = values[0].strip() if values else None
    if name is not None and len(name) > MAX_LABEL_NAME:
        name = None  # not a label name a tool offers; the file keeps it
    return decision.with_(label_name=name, more_labels=more)


def _recorded(props: Props) -> tuple[Decision, XmpStyle] | None:
    """The decision we wrote into this file and the style we wrote it in, if we wrote one."""
    if OUR_FLAG not in props:
        return None
    flag = (first or "").strip() if isinstance(first := props[OUR_FLAG][0], str) else ""
    stars = first_int(props.get(OUR_STARS)) or 0
    color = props.get(OUR_COLOR, [""])[0]
    token = props.get(OUR_PICK_AS, [""])[0]
    style = XmpStyle.from_token(token if isinstance(token, str) else "")  # a hand-edited Seq/Bag is no token
    try:
        decision = Decision(as_flag(flag or None), stars, as_label(color or None) if isinstance(color, str) else None)
    except ValueError:
        return None
    return (decision, style) if style is not None else None


def decision_from_props(props: Props) -> Decision | None:
    """What the file says now: what we recorded, with every change another tool made since applied."""
    ours = _recorded(props)
    if ours is None:
        return foreign_decision(props)
    decision, style = ours
    expected = express(decision, style)
    current_rating = first_int(props.get(RATING))
    if current_rating != expected.rating:
        if current_rating == -1:
            decision = decision.with_(flag=Flag.REJECT, rating=0)
        else:
            flag: Flag | None = None if decision.flag == Flag.REJECT else decision.flag
            decision = decision.with_(flag=flag, rating=min(max(current_rating or 0, 0), 5))
    current_pick = first_int(props.get(PICK_LABEL))
    if PICK_LABEL in props and current_pick != expected.pick_label:
        picks: dict[int | None, Flag] = {1: Flag.REJECT, 3: Flag.PICK}  # None (no PickLabel number) finds no flag
        flag = picks.get(current_pick)
        decision = decision.with_(flag=flag, rating=0 if flag == Flag.REJECT else decision.rating)
    return with_names(decision.with_(label=_current_label(props, expected.label, decision.label)), props)


def _current_label(props: Props, expected: Label | None, recorded: Label | None) -> Label | None:
    """The label after other tools' edits: darktable's own list first (darktable leaves xmp:Label alone),
    then xmp:Label. A name outside our five ("Approved") reads as no label; the file keeps it."""
    ints = colorlabel_ints(props.get(COLORLABELS))
    if ints is not None:
        want = LABELS.index(expected) if expected else None
        if (want is None and ints) or (want is not None and want not in ints):
            return LABELS[ints[0]] if ints else None
        if LABEL not in props:
            return recorded  # darktable keeps labels in its own list only
    values = props.get(LABEL)
    if values is None:
        return recorded if expected is None else None
    current = label_name(values[0])
    return recorded if current == expected else current
