"""PhotoTriage core: images, features, Siamese ranking, catalog and culling pipeline (no Qt)."""

#: re-exported for the seed's loading snippet (`from ranker import MultiFeatureConfig, ...`), resolved on
#: first use so that `import ranker` stays light (ranker.ml.model imports torch)
_LAZY = {"MultiFeatureConfig": "ranker.ml.model_config", "MultiFeaturePairwiseRanker": "ranker.ml.model"}

__all__ = ["MultiFeatureConfig", "MultiFeaturePairwiseRanker"]


def __getattr__(name: str) -> object:
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
