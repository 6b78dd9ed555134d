"""ranker.io.preview.render_pixels: display pixels written into the caller's buffer, upright, at the DCT scale."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from ranker.io import finish_pixels, preview
from tests.synthetic_files import (
    make_truncated,
    stored_for_orientation,
    textured_image,
    write_dng,
    write_image,
    write_jpeg,
)


class Buffers:
    """An `allocate` that hands out bytearrays and remembers them, as a GUI hands out its images' memory."""

    def __init__(self):
        self.made: list[tuple[int, int, bytearray]] = []

    def __call__(self, width: int, height: int) -> bytearray:
        buffer = bytearray(width * height * 4)
        self.made.append((width, height, buffer))
        return buffer

    def rgb(self, order: str = "BGRX") -> np.ndarray:
        """The last buffer as an H×W×3 RGB array, after checking its X bytes are 255."""
        width, height, buffer = self.made[-1]
        pixels = np.frombuffer(buffer, np.uint8).reshape(height, width, 4)
        assert (pixels[..., order.index("X")] == 255).all()
        return np.stack([pixels[..., order.index(c)] for c in "RGB"], axis=-1)


def test_numpy_transposes_move_pixels_as_pil_does():
    array = np.random.default_rng(1).integers(0, 255, (5, 7, 3), dtype=np.uint8)
    for operation, numpy_transpose in preview._NUMPY_TRANSPOSE.items():
        expected = np.asarray(Image.fromarray(array).transpose(operation))
        assert np.array_equal(numpy_transpose(array), expected), operation
    assert set(preview._NUMPY_TRANSPOSE) == set(finish_pixels.TRANSPOSE.values())


@pytest.mark.parametrize("orientation", range(1, 9))
def test_jpeg_pixels_are_upright_and_the_same_as_render(tmp_path, orientation):
    upright = textured_image((320, 240))
    path = write_jpeg(tmp_path / "o.jpg", stored_for_orientation(upright, orientation), orientation=orientation)
    buffers = Buffers()
    placed = preview.render_pixels(path, buffers)
    assert placed.size == placed.full_size == (320, 240) and placed.damaged is None
    assert len(buffers.made) == 1 and buffers.made[0][:2] == (320, 240)
    # the same decoder at the same scale: exactly render's pixels, only laid out for a display
    assert np.array_equal(buffers.rgb(), np.asarray(preview.render(path).image))


@pytest.mark.parametrize("order", sorted(preview.PIXEL_ORDERS))
def test_every_pixel_order_holds_the_same_colours(tmp_path, order):
    path = write_jpeg(tmp_path / "c.jpg", textured_image((96, 64)))
    buffers = Buffers()
    preview.render_pixels(path, buffers, order=order)
    assert np.array_equal(buffers.rgb(order), np.asarray(preview.render(path).image))


def test_a_large_jpeg_stays_at_its_power_of_two_dct_scale(tmp_path):
    path = write_jpeg(tmp_path / "big.jpg", textured_image((2400, 1600)))
    buffers = Buffers()
    # 700 px: 1/4 (600 px) is within DRAFT_SLACK, 1/8 (300 px) is not; nothing is resized afterwards
    assert preview.render_pixels(path, buffers, 700).size == (600, 400)
    # 1500 px: 1/2 (1200) is too small and 3/4 is slower than a full decode, so the file is decoded whole
    assert preview.render_pixels(path, buffers, 1500).size == (2400, 1600)
    assert preview.render_pixels(path, buffers, 1300).size == (1200, 800)
    reduced = np.asarray(Image.fromarray(buffers.rgb()).resize((240, 160), Image.Resampling.BOX), np.float32)
    expected = np.asarray(textured_image((2400, 1600)).resize((240, 160), Image.Resampling.BOX), np.float32)
    assert np.abs(reduced - expected).mean() < 4


def test_dct_scale_never_takes_the_slow_scales():
    for stored in ((6000, 4000), (4000, 3000), (5472, 3648), (8192, 5464)):
        for size in (256, 1024, 1600, 2048, 3072):
            width, height = preview._dct_size(stored, size)
            factor = stored[0] / width
            assert any(abs(factor - f) < 0.01 for f in (1, 2, 4, 8)), (stored, size, width)
            if max(stored) > size:
                assert max(width, height) >= preview.DRAFT_SLACK * size


def test_other_files_are_written_from_render(tmp_path):
    for path in (
        write_image(tmp_path / "p.png", textured_image((200, 150))),
        write_dng(tmp_path / "r.dng", size=(256, 192), preview_size=(128, 96)),
    ):
        buffers = Buffers()
        preview._renders.clear()
        placed = preview.render_pixels(path, buffers, order="RGBX")
        shown = preview.render(path)
        assert placed.size == shown.image.size and placed.full_size == shown.full_size
        assert np.array_equal(buffers.rgb("RGBX"), np.asarray(shown.image))


def test_a_damaged_jpeg_is_flagged_through_the_pixel_path(tmp_path):
    path = make_truncated(tmp_path / "cut.jpg", keep=0.6)
    buffers = Buffers()
    placed = preview.render_pixels(path, buffers, 400)
    assert placed.damaged and "JPEG" in placed.damaged
    assert buffers.made[-1][:2] == placed.size


def test_an_unknown_pixel_order_is_refused(tmp_path):
    path = write_jpeg(tmp_path / "c.jpg", textured_image((32, 32)))
    with pytest.raises(ValueError, match="pixel order"):
        preview.render_pixels(path, Buffers(), order="RGB")
