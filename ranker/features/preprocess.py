"""How backbone weights expect their input (size, mean, std): data in the registry, applied with torch."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image

if TYPE_CHECKING:
    import torch

OPENAI_MEAN = (0.48145466, 0.4578275, 0.40821073)
OPENAI_STD = (0.26862954, 0.26130258, 0.27577711)
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


@dataclass(frozen=True)
class Preprocess:
    """It travels with the weights spec, never hard-coded at call sites."""

    image_size: int
    mean: tuple[float, float, float]
    std: tuple[float, float, float]

    def __call__(self, image: Image.Image) -> torch.Tensor:
        """Resize the short side to image_size (bicubic), centre-crop square, normalise. Returns CHW float."""
        import torch  # only a backbone that is really running gets here

        image = image.convert("RGB")
        w, h = image.size
        scale = self.image_size / min(w, h)
        resized = image.resize(
            (max(self.image_size, round(w * scale)), max(self.image_size, round(h * scale))), Image.Resampling.BICUBIC
        )
        rw, rh = resized.size
        left, top = (rw - self.image_size) // 2, (rh - self.image_size) // 2
        crop = resized.crop((left, top, left + self.image_size, top + self.image_size))
        array = np.asarray(crop, dtype=np.float32) / 255.0
        tensor = torch.from_numpy(array).permute(2, 0, 1)
        mean = torch.tensor(self.mean).view(3, 1, 1)
        std = torch.tensor(self.std).view(3, 1, 1)
        return (tensor - mean) / std
