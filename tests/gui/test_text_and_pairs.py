"""Pure helpers behind the views: exposure text, rank explanations, ETA, and which pair to compare."""

from __future__ import annotations

from phototriage_gui import formatting
from ranker.culling import pairs
from ranker.decisions import Decision


def test_exposure_line_reads_like_a_camera():
    meta = {"exposure_time": 1 / 400, "aperture": 8.0, "iso": 640, "exposure_bias": 1 / 3}
    assert formatting.exposure_line(meta) == "1/400 s  f/8  ISO 640  +1/3 EV"
    assert formatting.shutter(0.8) == "0.8 s" and formatting.shutter(2.0) == "2 s"
    assert formatting.aperture(2.8) == "f/2.8" and formatting.aperture(11.0) == "f/11"
    assert formatting.ev(-2 / 3) == "−2/3 EV" and formatting.ev(0.0) == "±0 EV" and formatting.ev(1.0) == "+1 EV"
    assert formatting.ev(-4 / 3) == "−1 1/3 EV"
    assert formatting.exposure_line({}) == "not recorded"
    assert formatting.camera_line({"make": "Canon", "model": "Canon EOS 40D"}) == "Canon EOS 40D"


def test_why_names_the_weaker_signals():
    best = {"sharpness": -2.0, "noise": 0.002, "exposure": 0.6}
    soft = {"sharpness": -2.8, "noise": 0.030, "exposure": 0.6}
    text = formatting.why(3, 4, soft, best, best)
    assert text.startswith("Ranked 3 of 4") and "softer" in text and "noisier" in text and "exposed" not in text
    assert "Suggested best" in formatting.why(1, 4, best, best, soft)
    assert "sharper" in formatting.why(1, 4, best, best, soft)
    assert formatting.why(None, 4, {}, None, None) == "Not ranked yet."


def test_brightness_is_stated_as_a_fact_in_stops_never_as_better_or_worse():
    best = {"sharpness": -2.0, "exposure": 0.3, "brightness": -1.6}
    bright = {"sharpness": -2.0, "exposure": 0.5, "brightness": -0.4}  # a dark scene, a stop too bright
    assert formatting.why(2, 5, bright, best, best) == "Ranked 2 of 5: 1.2 EV brighter than #1."
    assert formatting.why(1, 5, best, best, bright) == "Suggested best of its burst."  # darker is no merit
    rows = {label: (value, diff, verdict) for label, value, diff, verdict in formatting.signal_rows(bright, best)}
    assert rows["Brightness"][2] == "1.2 EV brighter" and rows["Exposure"][2] == "better exposed"
    assert [formatting.verdict_tone(rows[k][2]) for k in ("Brightness", "Exposure", "Sharpness")] == [
        "neutral",
        "good",
        "",
    ]
    assert formatting.verdict_tone("noisier") == "bad"
    assert formatting.signal_value("Brightness", -0.4) == "-0.4 EV"
    assert formatting.signal_value("Brightness", 1.2, signed=True) == "+1.2 EV"
    assert formatting.signal_value("Brightness", -0.04, signed=True) == "+0.0 EV"
    assert formatting.why(2, 5, {**bright, "brightness": -1.5}, best, best).endswith("the model prefers #1 overall.")


def test_time_left():
    assert formatting.time_left(10, 0.5) == "about 10 s left"
    assert formatting.time_left(60, 0.25) == "about 3 min left"
    assert formatting.time_left(0.1, 0.5) == ""


def test_default_pair_skips_flagged_and_judged():
    ranked = [1, 2, 3, 4]
    assert pairs.default_pair(ranked, {}, set()) == ((1, 2), False)
    assert pairs.default_pair(ranked, {1: Decision("pick")}, set()) == ((2, 3), False)
    judged = {pairs.pair_key(1, 2)}
    assert pairs.default_pair(ranked, {}, judged) == ((1, 3), False)
    everything = {pairs.pair_key(a, b) for a in ranked for b in ranked if a < b}
    assert pairs.default_pair(ranked, {}, everything) == ((1, 2), True)
    assert pairs.default_pair([7], {}, set()) == (None, True)
    # fewer than two open photos: flagged ones fill in, so a burst stays comparable
    assert pairs.default_pair([1, 2], {1: Decision("reject")}, set()) == ((2, 1), False)


def test_partner_prefers_unjudged_unflagged_best():
    assert pairs.partner_for(3, [1, 2, 3], {}, set()) == 1
    assert pairs.partner_for(3, [1, 2, 3], {}, {pairs.pair_key(1, 3)}) == 2
    assert pairs.partner_for(3, [1, 2, 3], {1: Decision("reject")}, set()) == 2
    assert pairs.partner_for(3, [3], {}, set()) is None


def test_ev_is_written_one_way_on_thumbnails_headers_and_the_info_panel():
    from phototriage_gui.views import badges

    for bias in (-2 / 3, 0.0, 1.0, 0.7, -4 / 3):
        assert badges.ev_text(bias) == formatting.ev(bias)
    assert badges.ev_text(2 / 3) == "+2/3 EV"
    assert badges.ev_text(None) == "EV ?"


def test_effects_are_labelled_largest_first_and_small_ones_left_out():
    rows = formatting.effect_rows({"nss": -3.2, "detail": 12.0, "iqa": 0.2, "exposure_profile vs burst": -20.5})
    assert rows == [
        ("exposure against the burst", -20.5),
        ("detail at 100% (focus, grain, JPEG blocks)", 12.0),
        ("texture statistics (BRISQUE)", -3.2),
    ]
