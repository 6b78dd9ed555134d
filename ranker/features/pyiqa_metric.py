"""Any pyiqa no-reference metric as one extra feature dimension, loaded without ever downloading implicitly."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, NoReturn

import numpy as np
from PIL import Image

from ranker.errors import ModelMissingError
from ranker.features.base import FeatureExtractor
from ranker.paths import cache_dir

#: Metrics computed from the image alone, with no weights file: they work on a fresh offline machine.
WEIGHTLESS_METRICS = frozenset({"piqe", "entropy"})


def _ready_marker(metric: str) -> Path:
    return cache_dir() / "models" / f"pyiqa-{metric}.ready"


@contextlib.contextmanager
def _no_downloads(metric: str) -> Iterator[None]:
    """Make pyiqa fail at once instead of retrying an unreachable host for ~50 s."""
    from pyiqa.utils import download_util

    def refuse(url: str, *args: Any, **kwargs: Any) -> NoReturn:
        raise ModelMissingError(
            f"pyiqa:{metric}: weights not cached ({url}). Run `phototriage models download pyiqa:{metric}`."
        )

    saved_env = os.environ.get("HF_HUB_OFFLINE")
    saved_fn = download_util.download_url_to_file
    os.environ["HF_HUB_OFFLINE"] = "1"
    download_util.download_url_to_file = refuse
    try:
        yield
    finally:
        download_util.download_url_to_file = saved_fn
        if saved_env is None:
            os.environ.pop("HF_HUB_OFFLINE", None)
        else:
            os.environ["HF_HUB_OFFLINE"] = saved_env


def download_metric(metric: str) -> None:
    """Explicitly fetch a metric's weights through pyiqa (network), then mark it ready."""
    import pyiqa

    pyiqa.create_metric(metric, device="cpu")
    marker = _ready_marker(metric)
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.write_text(f"pyiqa {pyiqa.__version__}\n")


def metric_is_ready(metric: str) -> bool:
    return metric in WEIGHTLESS_METRICS or _ready_marker(metric).exists()


class PyiqaMetricExtractor(FeatureExtractor):
    """One pyiqa metric's score; `lower_better` is recorded so explanations read the right way round."""

    dim = 1
    decode_size = 512

    def __init__(self, metric: str, device: str = "auto"):
        self.metric = metric
        self.name = f"pyiqa:{metric}"
        self.version = "1"
        self._device_preference = device
        self._model: Any = None
        self.lower_better: bool | None = None

    def __getstate__(self) -> dict[str, Any]:
        # A copy sent to another process (a cluster worker) builds its own metric on its own device.
        return {**self.__dict__, "_model": None}

    def check_available(self) -> None:
        # A marker check, not an import: `import pyiqa` alone takes ~5 s.
        if not metric_is_ready(self.metric):
            raise ModelMissingError(f"{self.name}: weights not cached. Run `phototriage models download {self.name}`.")

    def _metric(self) -> Any:  # a pyiqa metric module (pyiqa ships no type information)
        if self._model is None:
            self.check_available()
            import pyiqa

            from ranker.device import select_device

            if self.metric not in pyiqa.list_models():
                raise ValueError(f"{self.name}: pyiqa has no metric {self.metric!r}")
            with _no_downloads(self.metric):
                self._model = pyiqa.create_metric(self.metric, device=select_device(self._device_preference))
            self.lower_better = bool(self._model.lower_better)
        return self._model

    def extract(self, images: Sequence[Image.Image]) -> np.ndarray:
        import torch  # pyiqa needs it anyway; the module stays light for metric_is_ready

        model = self._metric()
        scores = []
        with torch.inference_mode():
            for image in images:
                array = np.asarray(image.convert("RGB"), dtype=np.float32) / 255.0
                tensor = torch.from_numpy(array).permute(2, 0, 1).unsqueeze(0)
                scores.append(float(model(tensor).reshape(-1)[0]))
        return np.asarray(scores, dtype=np.float32).reshape(len(images), 1)
