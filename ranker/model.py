"""The seed's Siamese ranker: frozen features → shared tower → 256-d embedding → one score per photo."""
from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch import nn


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
    #: overexposed by a stop, the burst can (ranker.burst_context)
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
            raise ValueError("extra_dims must give one dimension per extra feature")
        self.burst_context = tuple(self.burst_context)
        if not self.context_dims and self.burst_context:
            from ranker.features.registry import get_spec

            self.context_dims = tuple(get_spec(name).dim for name in self.burst_context)
        self.context_dims = tuple(int(d) for d in self.context_dims)
        if len(self.context_dims) != len(self.burst_context):
            raise ValueError("context_dims must give one dimension per burst_context feature")
        if not self.mlp_hidden_dims:
            raise ValueError("mlp_hidden_dims needs at least one layer (its last entry is the embedding size)")
        if not self.feature_names:
            raise ValueError("the feature set is empty: enable at least one of clip, cnn, iqa or an extra feature")

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
        # each context feature enters twice: its signed deviation and its size
        return sum(dim for _, dim in self.feature_layout) + 2 * sum(self.context_dims)

    @property
    def embedding_dim(self) -> int:
        return self.mlp_hidden_dims[-1]

    def to_dict(self) -> dict:
        data = asdict(self)
        data["extra_features"] = list(self.extra_features)
        data["extra_dims"] = list(self.extra_dims)
        data["mlp_hidden_dims"] = list(self.mlp_hidden_dims)
        data["burst_context"] = list(self.burst_context)
        data["context_dims"] = list(self.context_dims)
        return data


class MultiFeaturePairwiseRanker(nn.Module):
    """Scores photos independently with shared weights; a pair is judged by its score difference.

    Input standardisation (feature_mean / feature_std) lives in buffers, so it is saved with the
    weights and the checkpoint alone reproduces every score.
    """

    def __init__(self, config: MultiFeatureConfig | None = None):
        super().__init__()
        self.config = config or MultiFeatureConfig()
        in_dim = self.config.input_dim
        self.register_buffer("feature_mean", torch.zeros(in_dim))
        self.register_buffer("feature_std", torch.ones(in_dim))
        self.input_norm = nn.LayerNorm(in_dim) if self.config.use_layernorm else nn.Identity()
        layers: list[nn.Module] = []
        previous = in_dim
        for width in self.config.mlp_hidden_dims:
            layers += [nn.Linear(previous, width), nn.ReLU(), nn.Dropout(self.config.dropout)]
            previous = width
        self.siamese_tower = nn.Sequential(*layers)
        self.comparison_head = nn.Linear(previous, 1)

    def set_normalization(self, mean: torch.Tensor, std: torch.Tensor) -> None:
        """Standardise inputs with training-set statistics; tiny stds are floored to avoid blow-ups."""
        self.feature_mean.copy_(torch.as_tensor(mean, dtype=torch.float32))
        self.feature_std.copy_(torch.as_tensor(std, dtype=torch.float32).clamp_min(1e-6))

    def encode(self, features: torch.Tensor) -> torch.Tensor:
        """(N, input_dim) frozen features → (N, embedding_dim) embeddings from the shared tower."""
        x = (features - self.feature_mean) / self.feature_std
        return self.siamese_tower(self.input_norm(x))

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        """(N, input_dim) → (N,) scores; higher is better."""
        return self.comparison_head(self.encode(features)).squeeze(-1)

    def compare(self, first: torch.Tensor, second: torch.Tensor) -> torch.Tensor:
        """P(first preferred over second) for each row, through the same tower."""
        return torch.sigmoid(self(first) - self(second))

    def get_architecture_metadata(self) -> dict:
        cfg = self.config
        dims = {name: dim for name, dim in cfg.feature_layout}
        hidden = " → ".join(str(d) for d in cfg.mlp_hidden_dims)
        context = 2 * sum(cfg.context_dims)
        inputs = f"{cfg.input_dim - context} + {context} burst-relative" if context else str(cfg.input_dim)
        return {
            "architecture_type": "siamese",
            "embedding_dim": cfg.embedding_dim,
            "input_dim": cfg.input_dim,
            "clip_dim": dims.get("clip", 0),
            "cnn_dim": dims.get("cnn", 0),
            "iqa_dim": dims.get("iqa", 0),
            "extra_features": {name: dim for name, dim in zip(cfg.extra_features, cfg.extra_dims)},
            "burst_context": {name: dim for name, dim in cfg.context_layout},
            "mlp_hidden_dims": list(cfg.mlp_hidden_dims),
            "total_parameters": sum(p.numel() for p in self.parameters()),
            "trainable_parameters": sum(p.numel() for p in self.parameters() if p.requires_grad),
            "architecture_summary": (
                f"Features({inputs}) → Siamese({hidden}) → Score(1) [embedding_dim={cfg.embedding_dim}]"
            ),
            "use_layernorm": cfg.use_layernorm,
            "dropout": cfg.dropout,
            "feature_names": cfg.feature_names,
        }
