"""What runs on the Ray workers: decode + hand-crafted signals as CPU tasks, backbones in an actor pool.

Batches are dicts of numpy columns (Ray Data's "numpy" format). A row is one photo:
`index` (the driver's job number), `path` (bytes: any file name survives, even one that is not UTF-8),
`missing` (comma-separated extractor names) in; `error`, `meta`, `signals` (JSON) and `vec:<name>`
(float32, one column per extractor) out. Rows the backbones still need carry `pixels` (the decoded
RGB image, exactly what the local engine would hand its extractors) until the model stage drops them.
"""

from __future__ import annotations

import json
import os
import platform
from collections.abc import Sequence
from typing import cast

import numpy as np
from PIL import Image

from ranker.features.base import FeatureExtractor
from ranker.features.iqa import quality_signals
from ranker.io.images import load_photo
from ranker.io.load_errors import ImageLoadError


def vector_column(name: str) -> str:
    return f"vec:{name}"


def node_name() -> str:
    """How an error names the machine that hit it: host name and the address Ray knows it by."""
    import ray

    return f"{platform.node()} ({ray.util.get_node_ip_address()})"


def _needs(missing: str, name: str) -> bool:
    return name in missing.split(",")


def decode_batch(
    batch: dict[str, np.ndarray], extractors: Sequence[FeatureExtractor], decode_size: int, model_names: Sequence[str]
) -> dict[str, np.ndarray]:
    """Decode each photo once at `decode_size`, then the signals and every CPU extractor on the batch.

    A file this worker cannot read becomes an `error` naming the node and the path; the batch goes on."""
    count = len(batch["index"])
    errors, metas, signals = [""] * count, ["{}"] * count, ["{}"] * count
    images: list[Image.Image | None] = [None] * count
    for row, (raw_path, _missing) in enumerate(zip(batch["path"], batch["missing"])):
        path = os.fsdecode(bytes(raw_path))
        try:
            image, meta = load_photo(path, max_size=decode_size)
        except ImageLoadError as exc:
            errors[row] = f"{exc.reason} (on node {node_name()}, reading {path})"
            continue
        images[row] = image
        metas[row] = json.dumps(meta.as_dict())
        signals[row] = json.dumps(quality_signals(image))
    out = {
        "index": batch["index"],
        "missing": batch["missing"],
        "error": np.array(errors, dtype=object),
        "meta": np.array(metas, dtype=object),
        "signals": np.array(signals, dtype=object),
    }
    for extractor in extractors:
        out[vector_column(extractor.name)] = _extract(extractor, images, batch["missing"])
    if model_names:
        pixels = [
            b"" if image is None or not any(_needs(m, n) for n in model_names) else _pack(image)
            for image, m in zip(images, batch["missing"])
        ]
        out["pixels"] = np.array(pixels, dtype=object)
    return out


def _extract(extractor: FeatureExtractor, images: Sequence[Image.Image | None], missing: np.ndarray) -> np.ndarray:
    """The extractor's vectors for the rows that decoded and miss it; zeros elsewhere (never stored)."""
    vectors = np.zeros((len(images), extractor.dim), dtype=np.float32)
    need = [i for i, image in enumerate(images) if image is not None and _needs(missing[i], extractor.name)]
    if need:
        # `need` holds only rows whose image decoded, so none of these is None
        vectors[need] = extractor.extract(cast("list[Image.Image]", [images[i] for i in need]))
    return vectors


def _pack(image: Image.Image) -> bytes:
    """RGB pixels with their size in front: lossless, so the backbones see the local engine's input."""
    width, height = image.size
    return width.to_bytes(4, "little") + height.to_bytes(4, "little") + image.convert("RGB").tobytes()


def _unpack(data: bytes) -> Image.Image:
    width, height = int.from_bytes(data[:4], "little"), int.from_bytes(data[4:8], "little")
    return Image.frombytes("RGB", (width, height), data[8:])


class ModelStage:
    """One actor per GPU (or one CPU actor when the cluster has none): loads its backbones once,
    on its own device, from its node's model cache, then embeds every batch it is given."""

    def __init__(self, extractors: Sequence[FeatureExtractor]):
        import ray
        import torch

        cpus = ray.get_runtime_context().get_assigned_resources().get("CPU", 1)
        torch.set_num_threads(max(1, int(cpus)))  # the CPU slots Ray gave this actor, no more
        # Weights load on the first batch, not here: an error raised in __init__ reaches the driver as
        # text only (Ray's ActorDiedError), one raised in a call keeps its type (ModelMissingError).
        self.extractors = list(extractors)

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        images = [_unpack(bytes(p)) if len(p) else None for p in batch["pixels"]]
        out = {key: value for key, value in batch.items() if key != "pixels"}
        for extractor in self.extractors:
            out[vector_column(extractor.name)] = _extract(extractor, images, batch["missing"])
        return out
