"""Which frozen features feed the Siamese ranker and the tower's shape: plain data, no torch."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from ranker.errors import UsageError


@dataclass
class MultiFeatureConfig:
    """Which frozen features feed the ranker and the tower's shape (seed defaults: all three, 512 → 256)."""

    use_clip: bool = True
    use_cnn_features: bool = True
    use_iqa_features: bool = True
    #: more registered extractors appended after the seed's three, e.g. ("noise", "pyiqa:piqe")
    extra_features: tuple[str, ...] = ()
    clip_dim: int = 512
    cnn_dim: int = 1024
    iqa_dim: int = 4
    #: dimension of each extra feature, in the same order as extra_features
    extra_dims: tuple[int, ...] = ()
    #: registered extractors fed as each photo's deviation from its burst's median (signed, then absolute),
    #: after the per-photo features: one frame cannot tell a dark scene exposed right from a frame of it
    #: overexposed by a stop, the burst can (ranker.ml.burst_context)
    burst_context: tuple[str, ...] = ()
    #: dimension of each burst_context feature, in the same order
    context_dims: tuple[int, ...] = ()
    mlp_hidden_dims: tuple[int, ...] = (512, 256)
    dropout: float = 0.3
    use_layernorm: bool = True

    def __post_init__(self) -> None:
        self.extra_features = tuple(self.extra_features)
        self.mlp_hidden_dims = tuple(int(d) for d in self.mlp_hidden_dims)
        if not self.extra_dims and self.extra_features:
            from ranker.features.registry import get_spec

            self.extra_dims = tuple(get_spec(name).dim for name in self.extra_features)
        self.extra_dims = tuple(self.extra_dims)
        if len(self.extra_dims) != len(self.extra_features):
            raise UsageError("extra_dims must give one dimension per extra feature")
        self.burst_context = tuple(self.burst_context)
        if not self.context_dims and self.burst_context:
            from ranker.features.registry import get_spec

            self.context_dims = tuple(get_spec(name).dim for name in self.burst_context)
        self.context_dims = tuple(int(d) for d in self.context_dims)
        if len(self.context_dims) != len(self.burst_context):
            raise UsageError("context_dims must give one dimension per burst_context feature")
        if not self.mlp_hidden_dims:
            raise UsageError("mlp_hidden_dims needs at least one layer (its last entry is the embedding size)")
        if not self.feature_names:
            raise UsageError("the feature set is empty: enable at least one of clip, cnn, iqa or an extra feature")

    @property
    def feature_layout(self) -> list[tuple[str, int]]:
        """(extractor name, dimension) in the order features are concatenated."""
        layout = []
        if self.use_clip:
            layout.append(("clip", self.clip_dim))
        if self.use_cnn_features:
            layout.append(("cnn", self.cnn_dim))
        if self.use_iqa_features:
            layout.append(("iqa", self.iqa_dim))
        layout.extend(zip(self.extra_features, self.extra_dims))
        return layout

    @property
    def feature_names(self) -> list[str]:
        return [name for name, _ in self.feature_layout]

    @property
    def context_layout(self) -> list[tuple[str, int]]:
        """(extractor name, dimension) of the burst-relative features, in input order after feature_layout."""
        return list(zip(self.burst_context, self.context_dims))

    @property
    def extractor_names(self) -> list[str]:
        """Every extractor a photo needs before this model can score it."""
        return list(dict.fromkeys([*self.feature_names, *self.burst_context]))

    @property
    def input_dim(self) -> int:
        from ranker.ml.burst_context import context_width

        # a median-relative context feature enters twice (signed deviation and size); per-person ones
        # (faces) as their own summary
        return sum(dim for _, dim in self.feature_layout) + sum(context_width(n, d) for n, d in self.context_layout)

    @property
    def embedding_dim(self) -> int:
        return self.mlp_hidden_dims[-1]

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["extra_features"] = list(self.extra_features)
        data["extra_dims"] = list(self.extra_dims)
        data["mlp_hidden_dims"] = list(self.mlp_hidden_dims)
        data["burst_context"] = list(self.burst_context)
        data["context_dims"] = list(self.context_dims)
        return data
