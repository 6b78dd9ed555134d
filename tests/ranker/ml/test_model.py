"""The Siamese ranker: architecture metadata (all of the seed's keys), parameters, shapes, exports."""

import subprocess
import sys

import pytest
import torch
from torch import nn

import ranker
from ranker.ml.model import MultiFeatureConfig, MultiFeaturePairwiseRanker
from tests.ranker.seed_api import SEED_METADATA_KEYS


def expected_parameter_count(input_dim: int, hidden: tuple[int, ...], layernorm: bool = True) -> int:
    count = 2 * input_dim if layernorm else 0
    previous = input_dim
    for width in hidden:
        count += previous * width + width
        previous = width
    return count + previous + 1


def test_seed_default_metadata_has_every_seed_key():
    model = MultiFeaturePairwiseRanker(MultiFeatureConfig())
    meta = model.get_architecture_metadata()
    assert SEED_METADATA_KEYS <= set(meta)
    assert meta["architecture_type"] == "siamese"
    assert meta["input_dim"] == 512 + 1024 + 4 == 1540
    assert (meta["clip_dim"], meta["cnn_dim"], meta["iqa_dim"]) == (512, 1024, 4)
    assert meta["embedding_dim"] == 256
    assert meta["mlp_hidden_dims"] == [512, 256]
    assert meta["architecture_summary"] == "Features(1540) → Siamese(512 → 256) → Score(1) [embedding_dim=256]"
    assert meta["use_layernorm"] is True
    assert meta["dropout"] == pytest.approx(0.3)
    assert meta["total_parameters"] == sum(p.numel() for p in model.parameters())
    assert meta["total_parameters"] == expected_parameter_count(1540, (512, 256))
    assert meta["feature_names"] == ["clip", "cnn", "iqa"]


def test_iqa_only_metadata_and_extra_features():
    config = MultiFeatureConfig(
        use_clip=False,
        use_cnn_features=False,
        extra_features=("noise",),
        mlp_hidden_dims=(8,),
        dropout=0.1,
        use_layernorm=False,
    )
    meta = MultiFeaturePairwiseRanker(config).get_architecture_metadata()
    assert (meta["clip_dim"], meta["cnn_dim"], meta["iqa_dim"], meta["input_dim"]) == (0, 0, 4, 5)
    assert meta["extra_features"] == {"noise": 1}
    assert meta["embedding_dim"] == 8
    assert meta["architecture_summary"] == "Features(5) → Siamese(8) → Score(1) [embedding_dim=8]"
    assert meta["use_layernorm"] is False
    assert meta["total_parameters"] == expected_parameter_count(5, (8,), layernorm=False)


def test_tower_and_head_are_trainable_and_the_model_holds_no_backbone():
    model = MultiFeaturePairwiseRanker(
        MultiFeatureConfig(use_clip=False, use_cnn_features=False, mlp_hidden_dims=(16, 8))
    )
    tower = sum(p.numel() for p in model.siamese_tower.parameters())
    head = sum(p.numel() for p in model.comparison_head.parameters())
    assert tower == (4 * 16 + 16) + (16 * 8 + 8)
    assert head == 8 + 1
    assert all(p.requires_grad for p in model.siamese_tower.parameters())
    assert all(p.requires_grad for p in model.comparison_head.parameters())
    meta = model.get_architecture_metadata()
    assert meta["trainable_parameters"] == meta["total_parameters"] == tower + head + 2 * 4  # + LayerNorm
    # the frozen backbones are separate extractors: every parameter here belongs to norm, tower or head
    assert {name.split(".")[0] for name, _ in model.named_parameters()} == {
        "input_norm",
        "siamese_tower",
        "comparison_head",
    }
    # normalisation statistics are buffers (saved with the weights), never trained
    assert {name for name, _ in model.named_buffers()} == {"feature_mean", "feature_std"}


def test_backbone_extractors_are_frozen(app_dirs):
    """A backbone extractor's module is eval-mode with requires_grad off; it never joins the optimiser."""
    from ranker.features.torch_backbone import Preprocess, TorchBackboneExtractor
    from ranker.features.weights import WeightsSpec

    class Tiny(TorchBackboneExtractor):
        name, dim, version = "tiny", 3, "1"

        def build(self, weights_path):
            return nn.Sequential(nn.Flatten(), nn.Linear(3 * 8 * 8, 3))

        def forward(self, module, batch):
            return module(batch)

    spec = WeightsSpec("tiny", "tiny.pt", "https://example.invalid/tiny.pt", "test", 1)
    spec.path.parent.mkdir(parents=True, exist_ok=True)
    spec.path.write_bytes(b"x")
    extractor = Tiny(spec, Preprocess(8, (0.5, 0.5, 0.5), (0.5, 0.5, 0.5)), device="cpu")
    module = extractor.module()
    assert not module.training
    assert not any(p.requires_grad for p in module.parameters())


def test_encode_forward_compare_shapes():
    config = MultiFeatureConfig(use_clip=False, use_cnn_features=False, mlp_hidden_dims=(12, 6))
    model = MultiFeaturePairwiseRanker(config).eval()
    x = torch.randn(5, config.input_dim)
    y = torch.randn(5, config.input_dim)
    assert model.encode(x).shape == (5, 6)
    assert model(x).shape == (5,)
    p = model.compare(x, y)
    assert p.shape == (5,)
    assert torch.all((p > 0) & (p < 1))
    torch.testing.assert_close(p + model.compare(y, x), torch.ones(5))
    # shared weights: a photo's score does not depend on what it is compared with
    torch.testing.assert_close(model(x[:2]), model(x)[:2])


def test_normalisation_lives_in_buffers():
    config = MultiFeatureConfig(use_clip=False, use_cnn_features=False, mlp_hidden_dims=(4,), use_layernorm=False)
    model = MultiFeaturePairwiseRanker(config).eval()
    x = torch.randn(3, 4)
    model.set_normalization(torch.full((4,), 2.0), torch.tensor([1.0, 0.0, 2.0, 4.0]))
    assert model.feature_std.min() > 0  # a zero std is floored, never a division by zero
    assert torch.isfinite(model(x)).all()
    # a column that never varied passes unscaled: a value training never saw moves the score a little
    assert model.feature_std.tolist() == [1.0, 1.0, 2.0, 4.0]
    seen, unseen = torch.full((1, 4), 2.0), torch.tensor([[2.0, 3.0, 2.0, 2.0]])
    with torch.no_grad():
        assert abs(float(model(unseen) - model(seen))) < 10


def test_config_validation():
    with pytest.raises(ValueError, match="feature set is empty"):
        MultiFeatureConfig(use_clip=False, use_cnn_features=False, use_iqa_features=False)
    with pytest.raises(ValueError, match="at least one layer"):
        MultiFeatureConfig(mlp_hidden_dims=())
    with pytest.raises(KeyError, match="Did you mean 'noise'"):
        MultiFeatureConfig(extra_features=("nois",))


def test_ranker_package_reexports_the_model_lazily():
    from ranker import MultiFeatureConfig as Config
    from ranker import MultiFeaturePairwiseRanker as Ranker

    assert Config is MultiFeatureConfig and Ranker is MultiFeaturePairwiseRanker
    assert {"MultiFeatureConfig", "MultiFeaturePairwiseRanker"} <= set(dir(ranker))
    with pytest.raises(AttributeError):
        ranker.NoSuchThing  # noqa: B018
    light = subprocess.run(
        [sys.executable, "-c", "import sys, ranker; print('torch' in sys.modules)"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert light.stdout.strip() == "False"
