"""Photographer-facing text: exposure triangles, capture times, and why a photo ranked where it did (no Qt)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from fractions import Fraction

from ranker.ml.attribution import group_label


def shutter(seconds: float | None) -> str | None:
    """1/400 s, 1/3 s, 0.8 s, 2 s, 30 s: the way cameras print it."""
    if not seconds or seconds <= 0:
        return None
    if seconds < 0.5:
        denominator = round(1 / seconds)
        return f"1/{denominator} s"
    if seconds < 1:
        return f"{seconds:.1f} s"
    return f"{seconds:g} s"


def aperture(f_number: float | None) -> str | None:
    if not f_number or f_number <= 0:
        return None
    return f"f/{f_number:.1f}".replace(".0", "") if f_number < 10 else f"f/{f_number:.0f}"


def ev(bias: float | None) -> str | None:
    """Exposure compensation in the camera's thirds (+2/3 EV) or decimals when it is not a third."""
    if bias is None:
        return None
    if abs(bias) < 1e-6:
        return "±0 EV"
    thirds = Fraction(bias).limit_denominator(3)
    sign = "+" if bias > 0 else "−"
    if abs(float(thirds) - bias) < 0.02:
        whole, rest = divmod(abs(thirds.numerator), thirds.denominator)
        text = (f"{whole} " if whole else "") + (f"{rest}/{thirds.denominator}" if rest else "")
        return f"{sign}{text.strip()} EV"
    return f"{sign}{abs(bias):.1f} EV"


def exposure_line(meta: dict) -> str:
    """ "1/400 s  f/8  ISO 640  +1/3 EV" with whatever the camera recorded."""
    parts = [
        shutter(meta.get("exposure_time")),
        aperture(meta.get("aperture")),
        f"ISO {meta['iso']}" if meta.get("iso") else None,
        ev(meta.get("exposure_bias")),
    ]
    return "  ".join(p for p in parts if p) or "not recorded"


def camera_line(meta: dict) -> str:
    make, model = (meta.get("make") or "").strip(), (meta.get("model") or "").strip()
    if make and model.lower().startswith(make.lower()):
        make = ""  # "Canon Canon EOS 40D" reads badly; many makers repeat the brand in the model
    return " ".join(p for p in (make, model) if p) or "unknown camera"


def capture_line(meta: dict) -> str:
    value = meta.get("capture_time")
    if not value:
        return "not recorded"
    try:
        when = dt.datetime.fromisoformat(value)
    except ValueError:
        return str(value)
    text = when.strftime("%Y-%m-%d %H:%M:%S")
    if when.microsecond:
        text += f".{when.microsecond // 10000:02d}"
    return text


@dataclass(frozen=True)
class Signal:
    name: str
    label: str
    higher_is_better: bool | None  # None: neither way is better; what matters is differing from the burst
    threshold: float  # a difference smaller than this is not worth mentioning
    worse: str  # how to say this photo is worse on this signal
    better: str
    unit: str = ""  # shown after values of neutral signals, e.g. "EV"


#: the hand-crafted signals behind every model, in the order the info panel lists them
SIGNALS = (
    Signal("sharpness", "Sharpness", True, 0.15, "softer (shake or missed focus)", "sharper"),
    Signal(
        "focus_peak", "Detail at 100% (sharpest tiles)", True, 0.2, "softer subject at 100%", "crisper subject at 100%"
    ),
    Signal("noise", "Noise", False, 0.004, "noisier", "cleaner"),
    Signal("luma_noise", "Grain where flat", False, 0.003, "grainier in flat areas", "cleaner in flat areas"),
    Signal("chroma_noise", "Colour noise", False, 0.002, "more colour noise", "less colour noise"),
    Signal("blocking", "JPEG blocking", False, 0.05, "more JPEG blocking", "less JPEG blocking"),
    Signal("exposure", "Exposure", True, 0.05, "worse exposed (dark or clipped)", "better exposed"),
    Signal("brightness", "Brightness", None, 0.25, "darker", "brighter", "EV"),
    Signal("contrast", "Contrast", True, 0.03, "flatter", "more contrast"),
    Signal("colorfulness", "Colour", True, 0.04, "less colourful", "more colourful"),
    Signal("highlights", "Blown highlights", False, 0.01, "more blown highlights", "fewer blown highlights"),
    Signal("shadows", "Crushed shadows", False, 0.01, "more crushed shadows", "fewer crushed shadows"),
)


def signal_rows(signals: dict, reference: dict | None) -> list[tuple[str, float, float | None, str]]:
    """(label, value, difference to the reference, verdict) for each known signal the photo has."""
    rows = []
    for spec in SIGNALS:
        if spec.name not in signals:
            continue
        value = float(signals[spec.name])
        diff = None if reference is None or spec.name not in reference else value - float(reference[spec.name])
        rows.append((spec.label, value, diff, _verdict(spec, diff)))
    return rows


def effect_rows(effects: dict[str, float], at_least: float = 0.5) -> list[tuple[str, float]]:
    """(label, quality points) of each input group's effect (ranker.ml.attribution), largest first;
    those that move the quality by less than `at_least` points are left out."""
    shown = [(group_label(group), float(points)) for group, points in effects.items() if abs(points) >= at_least]
    return sorted(shown, key=lambda row: -abs(row[1]))


def signal_value(label: str, value: float, signed: bool = False) -> str:
    """Shares of pixels as percentages (what a histogram shows), the rest as the measure's own number."""
    sign = "+" if signed else ""
    value = 0.0 if abs(value) < 5e-4 else value  # no "-0.0%"
    if label in ("Blown highlights", "Crushed shadows"):
        return f"{value * 100:{sign}.1f}%"
    unit = next((spec.unit for spec in SIGNALS if spec.label == label and spec.unit), "")
    if unit:
        return f"{0.0 if abs(value) < 0.05 else value:{sign}.1f} {unit}"  # no "-0.0 EV"
    return f"{value:{sign}.3f}"


def _verdict(spec: Signal, diff: float | None) -> str:
    if diff is None or abs(diff) < spec.threshold:
        return ""
    if spec.higher_is_better is None:  # a fact, not a judgement: e.g. "0.8 EV brighter"
        return f"{abs(diff):.1f} {spec.unit} {spec.better if diff > 0 else spec.worse}".replace("  ", " ")
    gain = diff if spec.higher_is_better else -diff
    return spec.better if gain > 0 else spec.worse


def _people(count: float, of: float) -> str:
    return "" if of <= 1 else f" ({int(count)} of {int(of)} people)"


def face_issues(signals: dict) -> list[str]:
    """ "eyes closed (2 of 3 people)", "face soft": what is wrong with the faces, judged against the
    same people in the rest of the burst (empty for photos without faces)."""
    people = float(signals.get("faces", 0) or 0)
    issues = []
    if signals.get("eyes_closed", 0) > 0:
        issues.append("eyes closed" + _people(signals["eyes_closed"], people))
    if signals.get("faces_soft", 0) > 0:
        issues.append("face soft" + _people(signals["faces_soft"], people))
    return issues


def face_badges(signals: dict) -> list[str]:
    """The short marks the strip and the grid draw on a thumbnail."""
    return [b for b, key in (("eyes closed", "eyes_closed"), ("face soft", "faces_soft")) if signals.get(key, 0) > 0]


def _face_gains(signals: dict, other: dict | None) -> list[str]:
    """What this photo's faces do better than `other`'s: open eyes where the other blinks, a sharp face."""
    if not other:
        return []
    gains = []
    if signals.get("faces", 0) and other.get("eyes_closed", 0) > signals.get("eyes_closed", 0):
        gains.append("eyes open")
    if signals.get("faces", 0) and other.get("faces_soft", 0) > signals.get("faces_soft", 0):
        gains.append("face sharp")
    return gains


def quality_text(quality: float | None, best: float | None = None) -> str:
    """ ", quality 72/100 (#1: 80)": the calibrated 0-100 score, never the raw model number."""
    if quality is None:
        return ""
    return f", quality {quality:.0f}/100" + (f" (#1: {best:.0f})" if best is not None else "")


def why(rank: int | None, size: int, signals: dict, best: dict | None, runner_up: dict | None) -> str:
    """One sentence on why this photo sits where it does in its burst; face problems come first, as a
    photographer would name them."""
    if rank is None:
        return "Not ranked yet."
    if size <= 1:
        issues = face_issues(signals)
        return "The only photo in its group" + (f": {', '.join(issues)}." if issues else ".")
    if rank == 1:
        faces = _face_gains(signals, runner_up)
        reasons = [v for _, _, _, v in signal_rows(signals, runner_up) if v and _is_gain(v)]
        text = "Suggested best of its burst"
        if faces:
            text += f": {', '.join(faces)} where #2 is not"
            return text + (f"; {', '.join(reasons)} than #2." if reasons else ".")
        return text + (f": {', '.join(reasons)} than #2." if reasons else ".")
    issues = face_issues(signals)
    reasons = [v for _, _, _, v in signal_rows(signals, best) if v and not _is_gain(v)]
    if issues:
        return f"Ranked {rank} of {size}: {', '.join(issues)}" + (
            f"; {', '.join(reasons)} than #1." if reasons else "."
        )
    if not reasons:
        return f"Ranked {rank} of {size}: close to #1 on every quality signal; the model prefers #1 overall."
    return f"Ranked {rank} of {size}: {', '.join(reasons)} than #1."


def verdict_tone(verdict: str) -> str:
    """ "good", "bad", "neutral" (a fact such as "0.8 EV brighter") or "" for no verdict."""
    if not verdict:
        return ""
    if any(verdict == s.better for s in SIGNALS if s.higher_is_better is not None):
        return "good"
    if any(verdict == s.worse for s in SIGNALS if s.higher_is_better is not None):
        return "bad"
    return "neutral"


def _is_gain(verdict: str) -> bool:
    return verdict_tone(verdict) == "good"


def time_left(elapsed: float, fraction: float) -> str:
    """ "about 40 s left" from the pace so far; empty until there is enough of it to extrapolate."""
    if fraction <= 0.02 or fraction >= 1 or elapsed < 0.5:
        return ""
    left = elapsed / fraction * (1 - fraction)
    if left < 60:
        return f"about {max(1, round(left))} s left"
    return f"about {round(left / 60)} min left"
