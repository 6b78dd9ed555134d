"""The typed extractor table (ranker/features/registry.py)."""

from __future__ import annotations

import pytest

from ranker.features import ExtractorSpec, FeatureExtractor, all_specs, get_spec
from ranker.features.descriptor import DescriptorExtractor
from ranker.features.pyiqa_metric import PyiqaMetricExtractor
from ranker.features.weights import WeightsSpec

BUILT_IN = {"iqa": 4, "noise": 1, "clipping": 2, "descriptor": 256, "clip": 512, "cnn": 1024, "pyiqa:piqe": 1}


def test_unknown_name_suggests_the_closest():
    with pytest.raises(KeyError) as info:
        get_spec("clp")
    message = info.value.args[0]
    assert "Did you mean 'clip'?" in message
    assert "pyiqa:<metric>" in message and "descriptor" in message  # and lists what exists


@pytest.mark.parametrize("name", ["zzzzzzzz", ""])
def test_hopeless_names_get_no_suggestion(name):
    with pytest.raises(KeyError) as info:
        get_spec(name)
    assert "Did you mean" not in info.value.args[0]


def test_pyiqa_prefix_without_a_metric_is_unknown():
    with pytest.raises(KeyError, match="Did you mean 'pyiqa:piqe'"):
        get_spec("pyiqa:")


def test_any_pyiqa_metric_gives_a_spec_without_importing_pyiqa():
    spec = get_spec("pyiqa:anything")
    assert (spec.name, spec.dim, spec.weights) == ("pyiqa:anything", 1, None)
    extractor = spec.create("cpu")
    assert isinstance(extractor, PyiqaMetricExtractor)
    assert (extractor.name, extractor.metric, extractor.dim) == ("pyiqa:anything", "anything", 1)
    assert not spec.is_ready()  # weights of an arbitrary metric are not cached


def test_all_specs_lists_the_built_in_extractors():
    specs = {spec.name: spec for spec in all_specs()}
    assert set(BUILT_IN) <= set(specs)
    for name, dim in BUILT_IN.items():
        spec = specs[name]
        assert isinstance(spec, ExtractorSpec) and spec.dim == dim and spec.licence and spec.description
        assert get_spec(name) is spec
        extractor = spec.create("cpu")  # cheap: backbones load lazily
        assert isinstance(extractor, FeatureExtractor)
        assert (extractor.name, extractor.dim) == (name, dim)
        assert extractor.version and extractor.decode_size > 0
        assert extractor.describe() == {"name": name, "dim": dim, "version": extractor.version}


def test_weights_and_validators_of_the_backbones():
    for name in ("clip", "cnn"):
        spec = get_spec(name)
        assert isinstance(spec.weights, WeightsSpec) and spec.weights.name == name
        assert spec.weights.url.startswith("https://") and spec.validate is not None
        assert not spec.is_ready()  # fresh per-test cache
    assert get_spec("cnn").weights.sha256_prefix == "11ad3fa6"
    for name in ("iqa", "noise", "clipping", "descriptor", "pyiqa:piqe"):
        assert get_spec(name).weights is None and get_spec(name).is_ready()


def test_a_backbone_is_ready_once_its_file_is_cached():
    weights = get_spec("cnn").weights
    weights.path.parent.mkdir(parents=True, exist_ok=True)
    weights.path.write_bytes(b"x")
    assert get_spec("cnn").is_ready()


def test_get_extractor_keeps_one_instance_per_name_and_device(isolated_registry):
    first = isolated_registry.get_extractor("descriptor")
    assert isolated_registry.get_extractor("descriptor") is first
    assert isolated_registry.get_extractor("descriptor", "cpu") is not first
    isolated_registry.forget_extractors()
    assert isolated_registry.get_extractor("descriptor") is not first
    with pytest.raises(KeyError, match="Did you mean 'descriptor'"):
        isolated_registry.get_extractor("descriptr")


def test_register_adds_to_the_table(isolated_registry):
    spec = isolated_registry.register(
        ExtractorSpec("toy", 256, "a toy", "test-only", lambda device: DescriptorExtractor())
    )
    assert get_spec("toy") is spec and spec in all_specs()
    assert spec.is_ready()
    with pytest.raises(KeyError, match="Did you mean 'toy'"):
        get_spec("tooy")


def test_the_toy_registration_was_undone():
    assert "toy" not in {spec.name for spec in all_specs()}


def test_each_spec_states_the_version_its_extractor_computes():
    """Cached features are looked up by the spec's version and stored under the extractor's: they must agree."""
    for spec in [*all_specs(), get_spec("pyiqa:musiq")]:
        assert spec.feature_version() == spec.create("cpu").version, spec.name


def test_the_registry_is_data_until_an_extractor_is_created():
    from tests.ranker.cli.test_cli import loaded_after

    code = (
        "import ranker.features as f\n"
        "print(sorted(s.name for s in f.all_specs()), [f.get_spec(n).feature_version() for n in ('clip', 'cnn')])\n"
        "print('MODULES', sorted(m for m in sys.modules if m.startswith('ranker.features.')))\n"
    )
    probe = loaded_after(code)
    assert probe["loaded"] == []
    modules = next(line for line in probe["stdout"].splitlines() if line.startswith("MODULES"))
    assert "ranker.features.clip" not in modules and "ranker.features.cnn" not in modules
    assert "ranker.features.pyiqa_metric" not in modules
