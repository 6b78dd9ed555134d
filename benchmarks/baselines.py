"""No-reference baselines the default must beat: random, Laplacian variance, Tenengrad, PIQE, BRISQUE-style."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from PIL import Image
from scipy import ndimage

RANDOM = "random"
LAPLACIAN = "sharpness (Laplacian var.)"
TENENGRAD = "Tenengrad"
PIQE = "pyiqa piqe"
BRISQUE = "BRISQUE-style (NSS + ridge on CLIVE train)"
#: what the default checkpoint must beat, in report order
BASELINES = (RANDOM, LAPLACIAN, TENENGRAD, PIQE, BRISQUE)


def _luma(image: Image.Image) -> np.ndarray:
    rgb = np.asarray(image.convert("RGB"), dtype=np.float32) / 255.0
    return rgb @ np.array([0.2126, 0.7152, 0.0722], dtype=np.float32)


def laplacian_variance(image: Image.Image) -> float:
    """The classic focus measure: variance of the Laplacian of the luma (no noise handling)."""
    return float(ndimage.laplace(_luma(image)).var())


def tenengrad(image: Image.Image) -> float:
    """Tenengrad (Krotkov 1987): mean squared Sobel gradient magnitude of the luma."""
    luma = _luma(image)
    return float((ndimage.sobel(luma, axis=0) ** 2 + ndimage.sobel(luma, axis=1) ** 2).mean())


class BrisqueStyle:
    """BRISQUE's recipe with what is offline here: the 36 MSCN statistics (ranker.features.nss, at the
    pipeline's 512-px analysis size) and a ridge regression to human MOS, fitted on the CLIVE train
    split (BRISQUE proper uses an SVR trained on LIVE; no pretrained model is used)."""

    def __init__(self, lam: float = 10.0):
        self.lam = lam
        self.weights: np.ndarray | None = None

    @staticmethod
    def features(image: Image.Image) -> np.ndarray:
        from ranker.features.iqa import ANALYSIS_SIZE, luminance, reduced_rgb8
        from ranker.features.nss import brisque_features

        return brisque_features(luminance(reduced_rgb8(image, ANALYSIS_SIZE)))

    def fit(self, features: np.ndarray, mos: np.ndarray) -> BrisqueStyle:
        self.mean, self.std = features.mean(axis=0), features.std(axis=0) + 1e-6
        z = np.c_[(features - self.mean) / self.std, np.ones(len(features))]
        self.weights = np.linalg.solve(z.T @ z + self.lam * np.eye(z.shape[1]), z.T @ mos)
        return self

    def predict(self, features: np.ndarray) -> np.ndarray:
        if self.weights is None:
            raise RuntimeError("BrisqueStyle.fit first")
        z = np.c_[(features - self.mean) / self.std, np.ones(len(features))]
        return z @ self.weights


def fit_brisque_on_clive() -> tuple[BrisqueStyle | None, str]:
    """(model, note): fitted on the CLIVE train split when the data is present, else (None, why)."""
    from ranker.datasets import clive
    from ranker.io.images import load_image

    if not clive.is_available():
        return None, f"skipped: no CLIVE data at {clive.default_root()} (set PHOTOTRIAGE_CLIVE)"
    photos = clive.load(split="train")
    features = np.asarray([BrisqueStyle.features(load_image(p.path, max_size=512)) for p in photos])
    return BrisqueStyle().fit(
        features, np.asarray([p.mos for p in photos])
    ), f"fitted on {len(photos)} CLIVE train photos"


class Scorers:
    """Every baseline's scores (higher = better) for decoded images."""

    def __init__(self, seed: int, device: str, use_pyiqa: bool, brisque: BrisqueStyle | None):
        self.rng = np.random.default_rng([seed, 99])
        self.device, self.use_pyiqa, self.brisque = device, use_pyiqa, brisque
        self.piqe_error: str | None = None

    def names(self) -> list[str]:
        names = [RANDOM, LAPLACIAN, TENENGRAD]
        if self.use_pyiqa and self.piqe_error is None:
            names.append(PIQE)
        if self.brisque is not None:
            names.append(BRISQUE)
        return names

    def score(self, images: Sequence[Image.Image]) -> dict[str, list[float]]:
        out = {
            RANDOM: [float(x) for x in self.rng.random(len(images))],
            LAPLACIAN: [laplacian_variance(im) for im in images],
            TENENGRAD: [tenengrad(im) for im in images],
        }
        if self.brisque is not None:
            out[BRISQUE] = [
                float(v) for v in self.brisque.predict(np.asarray([self.brisque.features(im) for im in images]))
            ]
        if self.use_pyiqa and self.piqe_error is None:
            try:
                from ranker.features.registry import get_extractor

                extractor = get_extractor("pyiqa:piqe", self.device)
                values = extractor.extract(list(images))[:, 0]
                sign = -1.0 if extractor.lower_better in (True, None) else 1.0  # PIQE: lower is better
                out[PIQE] = [sign * float(v) for v in values]
            except Exception as exc:  # noqa: BLE001 - pyiqa missing or broken: skip the row, say why
                self.piqe_error = f"{type(exc).__name__}: {exc}"
        return out
