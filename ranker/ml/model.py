"""The seed's Siamese ranker: frozen features → shared tower → 256-d embedding → one score per photo."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from ranker.ml.model_config import MultiFeatureConfig

__all__ = ["MultiFeatureConfig", "MultiFeaturePairwiseRanker"]


class MultiFeaturePairwiseRanker(nn.Module):
    """Scores photos independently with shared weights; a pair is judged by its score difference.

    Input standardisation (feature_mean / feature_std) lives in buffers, so it is saved with the
    weights and the checkpoint alone reproduces every score.
    """

    feature_mean: torch.Tensor  # buffers, registered in __init__
    feature_std: torch.Tensor

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
        """Standardise inputs with training-set statistics. A column that never varied in training (a face
        lost between frames when no training burst lost one) is passed through unscaled: dividing by a
        floored std made an unseen 1.0 a z-score of a million and the score -119004."""
        std = torch.as_tensor(std, dtype=torch.float32)
        self.feature_mean.copy_(torch.as_tensor(mean, dtype=torch.float32))
        self.feature_std.copy_(torch.where(std < 1e-6, torch.ones_like(std), std))

    def encode(self, features: torch.Tensor) -> torch.Tensor:
        """(N, input_dim) frozen features → (N, embedding_dim) embeddings from the shared tower."""
        x = (features - self.feature_mean) / self.feature_std
        embedding: torch.Tensor = self.siamese_tower(self.input_norm(x))
        return embedding

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        """(N, input_dim) → (N,) scores; higher is better."""
        scores: torch.Tensor = self.comparison_head(self.encode(features))
        return scores.squeeze(-1)

    def compare(self, first: torch.Tensor, second: torch.Tensor) -> torch.Tensor:
        """P(first preferred over second) for each row, through the same tower."""
        return torch.sigmoid(self(first) - self(second))

    def get_architecture_metadata(self) -> dict[str, Any]:
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
