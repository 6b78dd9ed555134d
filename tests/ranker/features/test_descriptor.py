"""The burst-grouping appearance descriptor (ranker/features/descriptor.py)."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from ranker.features.descriptor import DescriptorExtractor
from tests.ranker.features.tiny_models import exposed


def test_shape_dtype_and_batches(small_photos):
    extractor = DescriptorExtractor()
    assert extractor.dim == 256
    for batch in ([], small_photos[:1], small_photos):
        out = extractor.extract(batch)
        assert out.shape == (len(batch), 256)
        assert out.dtype == np.float32
    out = extractor.extract(small_photos)
    for row, image in zip(out, small_photos):
        np.testing.assert_array_equal(row, extractor.extract([image])[0])  # batch-independent


def test_rows_are_zero_mean_unit_norm(small_photos):
    out = DescriptorExtractor().extract(small_photos)
    np.testing.assert_allclose(np.linalg.norm(out, axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(out.mean(axis=1), 0.0, atol=1e-6)


def test_deterministic(photos):
    extractor = DescriptorExtractor()
    image = photos["astronaut"]
    first = extractor.extract([image])
    np.testing.assert_array_equal(first, extractor.extract([image]))
    np.testing.assert_array_equal(first, extractor.extract([image.copy()]))


def test_featureless_frame_is_the_zero_vector():
    out = DescriptorExtractor().extract([Image.new("RGB", (40, 30), (90, 90, 90))])
    assert out.shape == (1, 256) and not out.any()


@pytest.mark.parametrize("name", ["chelsea", "landscape_6.jpg", "rocket"])
def test_brackets_of_one_scene_match_and_other_scenes_do_not(name, photos):
    extractor = DescriptorExtractor()
    image = photos[name]
    bracket = extractor.extract([image, exposed(image, -1.0), exposed(image, +1.0)])
    assert (bracket[1:] @ bracket[0]).min() > 0.9  # same scene, ±1 EV
    others = extractor.extract([photos[other] for other in ("astronaut", "coffee", "camera") if other != name])
    assert np.abs(others @ bracket[0]).max() < 0.6
