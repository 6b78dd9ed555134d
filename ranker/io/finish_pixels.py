"""Every decoder's last step: RGB, resized to the target (Lanczos), upright by EXIF orientation, detached."""

from __future__ import annotations

import numpy as np
from PIL import Image

from ranker.io.photo_metadata import first_value

# EXIF orientation -> the transpose that makes the pixels upright (as ImageOps.exif_transpose).
TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


def target_size(size: tuple[int, int], max_size: int | None) -> tuple[int, int] | None:
    """The size that fits max_size keeping the aspect, or None when no downscale is needed."""
    w, h = size
    if max_size is None or max(w, h) <= max_size:
        return None
    scale = max_size / max(w, h)
    return max(1, round(w * scale)), max(1, round(h * scale))


def oriented_size(size: tuple[int, int], orientation: int) -> tuple[int, int]:
    return (size[1], size[0]) if orientation in (5, 6, 7, 8) else (size[0], size[1])


def finish(img: Image.Image, target: tuple[int, int] | None, orientation: int) -> Image.Image:
    """RGB, exactly `target` in size, upright, detached from the file it came from."""
    source = img
    img = to_rgb(img)
    if target and img.size != target:
        # reducing_gap: a fast integer box reduction first, then Lanczos for the last <3x.
        img = img.resize(target, Image.Resampling.LANCZOS, reducing_gap=3.0)
    if orientation in TRANSPOSE:
        img = img.transpose(TRANSPOSE[orientation])
    if img is source:
        img = img.copy()  # an ImageFile still points at our (now closed) file object
    # The pixels are upright now; a stale EXIF orientation would rotate them twice if re-saved.
    img.info.pop("exif", None)
    return img


def to_rgb(img: Image.Image) -> Image.Image:
    if img.mode == "RGB":
        return img
    if img.mode in ("I", "I;16", "I;16L", "I;16B", "I;16N"):
        # Pillow clips 16-bit values to 255 when converting; scale them by the file's own bit depth
        # (a 12-bit TIFF's white is 4095, not 65535).
        tags = getattr(img, "tag_v2", None)
        bits = first_value(tags.get(258)) if tags is not None else None
        peak = float((1 << bits) - 1) if isinstance(bits, int) and 8 < bits < 16 else 65535.0
        scaled = np.clip(np.asarray(img, dtype=np.float32) * (255.0 / peak), 0, 255).astype(np.uint8)
        return Image.fromarray(scaled).convert("RGB")
    if img.mode == "F":  # float TIFF: 0..1 by convention, else scaled by its peak
        values = np.nan_to_num(np.asarray(img, dtype=np.float32))
        peak = float(values.max()) if values.size and values.max() > 1.0 else 1.0
        return Image.fromarray((np.clip(values / peak, 0, 1) * 255 + 0.5).astype(np.uint8)).convert("RGB")
    if img.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in img.info:
        # Fully transparent pixels often hold arbitrary colours; show them on white.
        rgba = img.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    return img.convert("RGB")
