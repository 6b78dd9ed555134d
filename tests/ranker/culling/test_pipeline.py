"""The culling pipeline end to end on generated shoots: ranking quality, caching, renames, bad files."""

import shutil
from pathlib import Path

import numpy as np
import pytest

from ranker.culling.pipeline import PipelineOptions, rank_shoot, run
from ranker.decisions import Decision
from ranker.progress import Cancelled, Progress
from ranker.store.catalog import Catalog
from tests.ranker.shoots import FRAMES, write_known_shoot
from tests.synthetic_files import write_dng


@pytest.fixture(scope="module")
def shoot(tmp_path_factory):
    folder = tmp_path_factory.mktemp("shoot")
    best = write_known_shoot(folder)
    return folder, best


def _rank(folder, catalog, **options):
    progress: list[Progress] = []
    ranking = run(rank_shoot(folder, catalog, options=PipelineOptions(**options)), progress.append)
    return ranking, progress


def test_best_frame_ranked_first_in_at_least_5_of_6_bursts(shoot, tmp_path):
    folder, best = shoot
    with Catalog(tmp_path / "c.db") as catalog:
        ranking, progress = _rank(folder, catalog)
    assert len(ranking.bursts) == len(best), [[p.path.name for p in b.photos] for b in ranking.bursts]
    hits = 0
    for burst in ranking.bursts:
        names = sorted(p.path.name for p in burst.photos)
        hits += burst.photos[0].path.name == best[names[0]]
        assert [p.rank for p in burst.photos] == list(range(1, len(burst.photos) + 1))
        scores = [p.score for p in burst.photos]
        assert scores == sorted(scores, reverse=True)
    # Known miss of the 2026-12-01 default (reported in docs/BENCHMARKS.md): in the rocket burst the clean
    # frame clips 0.2% of highlights that blur spreads out in the other frames, and the burst-relative
    # clipping outweighs its sharpness lead; 5 of 6 bursts.
    assert hits / len(ranking.bursts) >= 5 / 6, f"{hits}/{len(ranking.bursts)} bursts had the clean frame first"
    assert ranking.model.why == "shipped offline default"
    assert {"sharpness", "exposure", "noise"} <= set(ranking.bursts[0].photos[0].signals)
    assert progress[-1].item is ranking
    assert progress[0].stage == "list"  # the listing (every photo with its id) comes first


def test_the_default_sets_each_frame_against_its_burst_and_never_serves_stale_scores(shoot, tmp_path):
    from ranker.culling.scoring import score_photos
    from ranker.ml.active_model import model_key, resolve_model

    folder, _ = shoot
    from ranker.default_model import BURST_CONTEXT

    checkpoint, _ = resolve_model(None)
    assert checkpoint.model.config.burst_context == BURST_CONTEXT == ("exposure_profile", "detail", "faces")
    key = model_key(checkpoint.path)
    with Catalog(tmp_path / "c.db") as catalog:
        ranking, _ = _rank(folder, catalog)
        burst = ranking.bursts[0]
        ids = [p.photo_id for p in burst.photos]
        assert catalog.scores(key, ids) == {}  # scores depend on the grouping: never cached
        in_burst = score_photos(catalog, checkpoint, key, ids, [ids])
        # the ranking scored every burst in one batch: float32 sums in another order
        assert in_burst == pytest.approx({p.photo_id: p.score for p in burst.photos}, abs=1e-6)
        assert score_photos(catalog, checkpoint, key, ids) == in_burst  # the stored grouping by default
        # each frame alone has no burst to compare its exposure with: other scores
        alone = score_photos(catalog, checkpoint, key, ids, [[pid] for pid in ids])
        assert alone != pytest.approx(in_burst)


def test_second_run_decodes_and_extracts_nothing(shoot, tmp_path, monkeypatch):
    folder, _ = shoot
    with Catalog(tmp_path / "c.db") as catalog:
        first, _ = _rank(folder, catalog)
        from ranker.engines import local_engine

        def forbidden(*args, **kwargs):
            raise AssertionError("second run decoded a photo")

        monkeypatch.setattr(local_engine, "load_photo", forbidden)
        second, _ = _rank(folder, catalog)
    assert second.stats["decoded"] == 0 and second.stats["cached"] == first.stats["photos"]
    assert [[p.path for p in b.photos] for b in first.bursts] == [[p.path for p in b.photos] for b in second.bursts]


def test_renamed_file_keeps_features_and_decisions(shoot, tmp_path):
    src, _ = shoot
    folder = tmp_path / "copy"
    shutil.copytree(src, folder)
    with Catalog(tmp_path / "c.db") as catalog:
        ranking, _ = _rank(folder, catalog)
        photo = ranking.bursts[0].photos[0]
        catalog.set_decision(photo.photo_id, Decision(flag="pick", rating=4, label="green"))
        renamed = folder / "renamed.JPG"
        photo.path.rename(renamed)
        again, _ = _rank(folder, catalog)
        moved = again.photo(photo.photo_id)
    assert moved.path == renamed
    assert moved.decision == Decision(flag="pick", rating=4, label="green")
    assert again.stats["decoded"] == 0


def test_corrupt_file_is_reported_and_the_rest_ranked(shoot, tmp_path):
    src, best = shoot
    folder = tmp_path / "with-bad"
    shutil.copytree(src, folder)
    (folder / "BROKEN.JPG").write_bytes(b"\xff\xd8\xff\xe0 definitely not a whole jpeg")
    (folder / "EMPTY.JPG").write_bytes(b"")
    with Catalog(tmp_path / "c.db") as catalog:
        ranking, _ = _rank(folder, catalog)
    assert {e.path.name for e in ranking.errors} == {"BROKEN.JPG", "EMPTY.JPG"}
    assert all(e.reason for e in ranking.errors)
    assert sum(len(b.photos) for b in ranking.bursts) == FRAMES * len(best)


def test_raw_and_jpeg_twins_are_one_photo(tmp_path):
    folder = tmp_path / "twins"
    folder.mkdir()
    write_dng(folder / "IMG_0001.dng", size=(256, 192))
    from PIL import Image

    Image.new("RGB", (256, 192), (120, 90, 60)).save(folder / "IMG_0001.jpg")
    with Catalog(tmp_path / "c.db") as catalog:
        ranking, _ = _rank(folder, catalog)
    photos = [p for b in ranking.bursts for p in b.photos]
    assert len(photos) == 1
    assert [p.name for p in photos[0].paths] == ["IMG_0001.dng", "IMG_0001.jpg"]


def test_recursive_option_includes_subfolders(shoot, tmp_path):
    src, best = shoot
    (tmp_path / "day" / "a").mkdir(parents=True)
    for path in sorted(src.iterdir())[:5]:
        shutil.copy(path, tmp_path / "day" / "a" / path.name)
    with Catalog(tmp_path / "c.db") as catalog:
        flat, _ = _rank(tmp_path / "day", catalog)
        deep, _ = _rank(tmp_path / "day", catalog, recursive=True)
    assert not flat.bursts
    assert sum(len(b.photos) for b in deep.bursts) == 5


def test_cancel_stops_between_items(shoot, tmp_path):
    import threading

    folder, _ = shoot
    cancel = threading.Event()
    cancel.set()
    with Catalog(tmp_path / "c.db") as catalog, pytest.raises(Cancelled):
        run(rank_shoot(folder, catalog, cancel=cancel))


def test_decisions_in_other_tools_sidecars_are_imported_on_first_scan(shoot, tmp_path):
    src, _ = shoot
    folder = tmp_path / "with-sidecar"
    shutil.copytree(src, folder)
    photo = sorted(folder.glob("*.JPG"))[0]
    photo.with_suffix(".xmp").write_text(
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmp:Rating="3" xmp:Label="Red"/>'
        "</rdf:RDF></x:xmpmeta>"
    )
    rejected = sorted(folder.glob("*.JPG"))[1]
    rejected.with_suffix(".xmp").write_text(
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmp:Rating="-1"/></rdf:RDF></x:xmpmeta>'
    )
    with Catalog(tmp_path / "c.db") as catalog:
        ranking, _ = _rank(folder, catalog)
        by_name = {p.path.name: p for b in ranking.bursts for p in b.photos}
        assert by_name[photo.name].decision == Decision(rating=3, label="red")
        assert by_name[rejected.name].decision.flag == "reject"
        # the user's later decision wins over the sidecar on the next scan
        catalog.set_decision(by_name[photo.name].photo_id, Decision(flag="pick"))
        again, _ = _rank(folder, catalog)
        assert again.photo(by_name[photo.name].photo_id).decision == Decision(flag="pick")


def test_byte_identical_copies_are_two_photos_sharing_their_analysis(shoot, tmp_path):
    """A photo is a file in its folder: a copy is another photo with its own decision, but its
    features come from the cache (content fingerprint) and it is never decoded twice."""
    src, best = shoot
    folder = tmp_path / "dupes"
    shutil.copytree(src, folder)
    original = sorted(folder.glob("*.JPG"))[0]
    shutil.copy(original, folder / "copy_of_first.JPG")
    with Catalog(tmp_path / "c.db") as catalog:
        ranking, _ = _rank(folder, catalog)
        photos = [p for b in ranking.bursts for p in b.photos]
        assert len(photos) == FRAMES * len(best) + 1
        assert ranking.stats["decoded"] == FRAMES * len(best) and ranking.stats["cached"] == 1
        first = next(p for p in photos if p.paths == (original,))
        copy = next(p for p in photos if p.paths == (folder / "copy_of_first.JPG",))
        assert first.photo_id != copy.photo_id and first.signals == copy.signals
        catalog.set_decision(copy.photo_id, Decision(flag="reject"))
        (folder / "copy_of_first.JPG").unlink()
        again, _ = _rank(folder, catalog)
        assert again.photo(first.photo_id).paths == (original,)
        assert again.photo(first.photo_id).decision == Decision()


def test_a_copy_listed_while_its_original_is_analysed_waits_for_it(shoot, tmp_path, monkeypatch):
    """The engine lists the next window while this one decodes: copies of a photo in flight, in the same
    window or the next, are taken from the cache once the original is written, never decoded again."""
    from ranker.engines import local_engine

    monkeypatch.setattr(local_engine, "WINDOW", 3)
    src, best = shoot
    folder = tmp_path / "copies"
    shutil.copytree(src, folder)
    first, second = sorted(folder.glob("*.JPG"))[:2]
    shutil.copy(first, folder / f"{first.stem}a.JPG")  # listed right after it: the same window
    shutil.copy(second, folder / f"{second.stem}a.JPG")  # listed in the window after its original's
    decoded = []
    real = local_engine._decode
    monkeypatch.setattr(local_engine, "_decode", lambda job, *a: decoded.append(job.fingerprint) or real(job, *a))
    with Catalog(tmp_path / "c.db") as catalog:
        ranking, _ = _rank(folder, catalog)
    assert ranking.stats["decoded"] == FRAMES * len(best) and ranking.stats["cached"] == 2
    assert len(decoded) == len(set(decoded)) == FRAMES * len(best)
    photos = {p.path.name: p for b in ranking.bursts for p in b.photos}
    assert photos[f"{first.stem}a.JPG"].signals == photos[first.name].signals
    assert photos[f"{second.stem}a.JPG"].signals == photos[second.name].signals


def test_the_same_photos_in_two_folders_share_nothing_but_features(shoot, tmp_path):
    src, _ = shoot
    card, backup = tmp_path / "card", tmp_path / "backup"
    shutil.copytree(src, card)
    shutil.copytree(src, backup)
    with Catalog(tmp_path / "c.db") as catalog:
        first, _ = _rank(card, catalog)
        for burst in first.bursts:
            catalog.set_decision(burst.photos[0].photo_id, Decision(flag="pick"))
        other, _ = _rank(backup, catalog)
        assert other.stats["decoded"] == 0  # features and signals come from the cache
        listed = [p for b in other.bursts for p in b.photos]
        assert all(path.parent == backup for p in listed for path in p.paths)
        assert all(p.decision == Decision() for p in listed)
        again, _ = _rank(card, catalog)
        assert all(path.parent == card for b in again.bursts for p in b.photos for path in p.paths)
        assert sum(p.decision.flag == "pick" for b in again.bursts for p in b.photos) == len(first.bursts)


def test_listing_gives_every_photo_an_id_before_anything_is_decoded(shoot, tmp_path, monkeypatch):
    from ranker.engines import local_engine
    from ranker.store.listing import ShootListing

    folder, _ = shoot
    calls = []
    real = local_engine.load_photo
    monkeypatch.setattr(local_engine, "load_photo", lambda *a, **k: (calls.append(a[0]), real(*a, **k))[1])
    with Catalog(tmp_path / "c.db") as catalog:
        generator = rank_shoot(folder, catalog, options=PipelineOptions(device="cpu"))
        first = next(generator)
        assert first.stage == "list" and isinstance(first.item, ShootListing) and not calls
        listed = first.item.photos
        assert len(listed) == len(list(folder.glob("*.JPG"))) and all(p.photo_id > 0 for p in listed)
        # a decision on a photo that has no features yet is recorded, and survives the analysis
        catalog.set_decision(listed[0].photo_id, Decision(rating=2))
        ranking = run(generator)
    assert ranking.photo(listed[0].photo_id).decision == Decision(rating=2)
    assert {p.photo_id for b in ranking.bursts for p in b.photos} == {p.photo_id for p in listed}


SHARED_PAIRS = Path(__file__).resolve().parents[3].parent / "shared" / "photos" / "burst_pairs"


@pytest.mark.skipif(not SHARED_PAIRS.is_dir(), reason="../shared/photos absent")
def test_real_back_to_back_pairs_without_exif_group_exactly(tmp_path):
    """22 real travel photos, no EXIF times (all copied at once): the 7 real pairs are the only bursts."""
    folder = tmp_path / "real"
    shutil.copytree(SHARED_PAIRS, folder)
    with Catalog(tmp_path / "c.db") as catalog:
        ranking, _ = _rank(folder, catalog)
    groups = sorted(sorted(p.path.stem.split("_")[0] for p in b.photos) for b in ranking.bursts)
    pairs = [g[0] for g in groups if len(g) == 2]
    assert all(len(set(g)) == 1 for g in groups), groups  # never two scenes in one burst
    assert sorted(pairs) == ["ae", "ai", "aj", "ak", "am", "an", "ao"]


def test_rank_puts_the_open_eyed_frame_first_and_says_why_in_the_json(tmp_path):
    from ranker.datasets.face_bursts import FaceFrame, close_eyes, write_face_shoot
    from ranker.datasets.synthetic import Defect, handheld_frame, skimage_photo

    rng = np.random.default_rng(11)
    astronaut = skimage_photo("astronaut")
    frames = [FaceFrame(handheld_frame(close_eyes(astronaut, a), rng, 400), Defect("blink", a)) for a in (1.0, 1.0)]
    frames.insert(1, FaceFrame(handheld_frame(astronaut, rng, 400), Defect("clean", 0.0)))
    truth = write_face_shoot(tmp_path / "shoot", [("astronaut", frames)])[0]
    with Catalog(tmp_path / "c.db") as catalog:
        ranking, _ = _rank(tmp_path / "shoot", catalog)
    (burst,) = ranking.to_json()["bursts"]
    first, *rest = burst["photos"]
    assert first["path"].endswith(truth["best"])
    assert first["signals"]["faces"] == 1 and first["signals"]["eyes_closed"] == 0
    assert [p["signals"]["eyes_closed"] for p in rest] == [1, 1]
    face = first["faces"][0]
    assert set(face) >= {
        "box",
        "eye_openness",
        "eyes_open_vs_best",
        "eyes_closed",
        "face_sharpness",
        "eye_sharpness",
        "soft",
    }
    assert face["eyes_open_vs_best"] == 1.0 and not face["eyes_closed"]
    assert all(p["faces"][0]["eyes_closed"] for p in rest)


def test_per_photo_extractors_run_in_the_decode_pool_with_the_same_vectors(shoot, tmp_path, monkeypatch):
    """The descriptor, the hand-crafted signals and faces are computed next to decoding, in the pool's
    threads (the main thread only writes), and what the catalog keeps is what extract() gives."""
    import threading

    from ranker.features.descriptor import DescriptorExtractor
    from ranker.features.iqa import DETAIL_SIZE
    from ranker.features.registry import feature_version
    from ranker.io.images import load_photo

    src, _ = shoot
    threads: set[str] = set()
    real = DescriptorExtractor.extract

    def recording(self, images):
        threads.add(threading.current_thread().name)
        return real(self, images)

    monkeypatch.setattr(DescriptorExtractor, "extract", recording)
    with Catalog(tmp_path / "c.db") as catalog:
        ranking, _ = _rank(src, catalog)
        assert threads and threading.main_thread().name not in threads
        photo = ranking.bursts[0].photos[0]
        stored = catalog.get_features(
            catalog.photo(photo.photo_id).fingerprint, "descriptor", feature_version("descriptor")
        )
        image, _ = load_photo(photo.path, max_size=DETAIL_SIZE)  # the default decodes for its detail map
        np.testing.assert_array_equal(stored, real(DescriptorExtractor(), [image])[0])


def test_model_info_round_trips_through_json():
    from ranker.ml.model_info import PERSONAL_WHY, ModelInfo

    info = ModelInfo("v3", "/m/v3.pt", PERSONAL_WHY, "k", ("iqa", "detail"), "Features(4) → Siamese(16)")
    assert ModelInfo.from_json(info.to_json()) == info and info.personal
    assert not ModelInfo("default", "d.pt", "shipped offline default").personal
    assert ModelInfo.from_json({"label": "old", "why": "x", "extra": 1}) == ModelInfo("old", "", "x")
