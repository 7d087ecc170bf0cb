"""Exporting an MLP to JSON for the browser: lossless, checked, and honest.

The page's JavaScript is held to ``export.forward``; these tests hold
``export.forward`` to the model itself.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

import numpy as np
import pytest
from export_reader import model_from_dict, sample_pixels

from scratchnet import export
from scratchnet.layers import Dropout, Layer, LeakyReLU, Linear, ReLU, Sigmoid, Tanh
from scratchnet.model import Sequential, mlp


def _round_trip(model: Sequential, tmp_path: Path) -> dict:
    """Export to a file and read the JSON back, as the page would."""
    path = export.write_json(export.model_to_dict(model), tmp_path / "m.json")
    return json.loads(path.read_text())


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid", "leaky_relu"])
def test_numpy_forward_from_the_json_equals_predict_proba(
    activation: str, tmp_path: Path
) -> None:
    model = mlp([784, 32, 16, 10], activation, seed=3).eval()
    x = np.random.default_rng(0).random((50, 784), dtype=np.float32)
    doc = _round_trip(model, tmp_path)
    np.testing.assert_allclose(export.forward(doc, x), model.predict_proba(x),
                               rtol=0, atol=1e-6)


def test_weights_survive_the_round_trip_bit_for_bit(tmp_path: Path) -> None:
    model = mlp([20, 7, 3], seed=1)
    rebuilt = model_from_dict(_round_trip(model, tmp_path))
    for (name, p), (_, q) in zip(model.named_parameters(),
                                 rebuilt.named_parameters()):
        assert np.array_equal(p.value, q.value), name


def test_the_document_describes_the_architecture(tmp_path: Path) -> None:
    doc = _round_trip(mlp([784, 64, 10], seed=0), tmp_path)
    assert doc["format"] == export.MODEL_FORMAT
    assert (doc["inputs"], doc["outputs"]) == (784, 10)
    assert [layer["type"] for layer in doc["layers"]] == ["linear", "relu",
                                                          "linear"]
    assert doc["layers"][0]["in"] == 784 and doc["layers"][0]["out"] == 64


def test_weights_are_little_endian_float32_in_row_major_order() -> None:
    layer = Linear(2, 3, rng=0)
    layer.W.value[...] = np.arange(6, dtype=np.float32).reshape(2, 3)
    doc = export.model_to_dict(Sequential(layer))
    raw = base64.b64decode(doc["layers"][0]["W"])
    assert np.frombuffer(raw, "<f4").tolist() == [0, 1, 2, 3, 4, 5]


def test_dropout_is_left_out_because_it_is_the_identity_at_inference(
    tmp_path: Path
) -> None:
    model = mlp([10, 8, 4], dropout=0.5, seed=0).eval()
    doc = _round_trip(model, tmp_path)
    assert "dropout" not in [layer["type"] for layer in doc["layers"]]
    x = np.random.default_rng(1).random((5, 10), dtype=np.float32)
    np.testing.assert_allclose(export.forward(doc, x), model.predict_proba(x),
                               atol=1e-6)


def test_leaky_relu_keeps_its_slope() -> None:
    model = Sequential(Linear(3, 3, rng=0), LeakyReLU(0.2), Linear(3, 2, rng=1))
    assert export.model_to_dict(model)["layers"][1] == {"type": "leaky_relu",
                                                        "slope": 0.2}


class Square(Layer):
    """A layer the exporter has never heard of."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        return x * x


def test_an_unknown_layer_is_refused_by_name_and_position() -> None:
    model = Sequential(Linear(4, 4, rng=0), Square(), Linear(4, 2, rng=0))
    with pytest.raises(export.UnsupportedLayerError, match=r"layer 1 Square"):
        export.model_to_dict(model)


@pytest.mark.parametrize(
    ("layers", "message"),
    [
        ([ReLU(), Linear(4, 2, rng=0)], "must start with Linear"),
        ([Linear(4, 3, rng=0), Sigmoid()], "last layer must be Linear"),
        ([Dropout(0.5)], "no Linear layer"),
    ],
)
def test_models_the_page_cannot_run_are_refused(layers: list, message: str) -> None:
    with pytest.raises(export.UnsupportedLayerError, match=message):
        export.model_to_dict(Sequential(*layers))


def test_mismatched_layer_sizes_are_refused() -> None:
    model = Sequential(Linear(4, 3, rng=0), Tanh(), Linear(5, 2, rng=0))
    with pytest.raises(ValueError, match="takes 5 inputs, but the layer before "
                                         "gives 3"):
        export.model_to_dict(model)


def test_non_finite_weights_are_refused() -> None:
    model = mlp([4, 3, 2], seed=0)
    model[0].W.value[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN or inf"):
        export.model_to_dict(model)


def test_only_a_sequential_can_be_exported() -> None:
    with pytest.raises(TypeError, match="expected a scratchnet Sequential, "
                                        "got Linear"):
        export.model_to_dict(Linear(3, 2, rng=0))  # type: ignore[arg-type]


def test_forward_refuses_the_wrong_document_or_input_shape() -> None:
    doc = export.model_to_dict(mlp([6, 4, 2], seed=0))
    with pytest.raises(ValueError, match=r"expected x of shape \(n, 6\)"):
        export.forward(doc, np.zeros((2, 5), np.float32))
    with pytest.raises(ValueError, match="expected a 'scratchnet.mlp\\+json'"):
        export.forward({"format": "other"}, np.zeros((1, 6)))
    with pytest.raises(ValueError, match="version 99 is not supported"):
        export.forward({**doc, "version": 99}, np.zeros((1, 6)))


def test_truncated_weights_are_refused() -> None:
    with pytest.raises(ValueError, match="expected 24 bytes for float32"):
        export.decode_array(export.encode_array(np.zeros(5)), (2, 3))


def _toy_digits(n: int = 200) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    return (rng.integers(0, 256, (n, 28, 28), dtype=np.uint8),
            rng.integers(0, 10, n))


def test_samples_include_mistakes_and_are_spread_over_the_classes() -> None:
    images, labels = _toy_digits()
    model = mlp([784, 16, 10], seed=0)      # untrained: mostly wrong
    doc = export.sample_test_images(model, images, labels, n=20,
                                    mistakes=0.25)
    samples = doc["samples"]
    assert len(samples) == 20
    wrong = [s for s in samples if s["label"] != s["prediction"]]
    assert len(wrong) == doc["n_mistakes"] >= 5
    assert np.array_equal(sample_pixels(doc),
                          images[[s["index"] for s in samples]])
    probs = model.predict_proba(images.reshape(200, -1) / np.float32(255))
    for s in samples:
        assert s["prediction"] == probs[s["index"]].argmax()
        np.testing.assert_allclose(s["probabilities"], probs[s["index"]],
                                   atol=1e-6)


def test_the_same_seed_gives_the_same_samples() -> None:
    images, labels = _toy_digits()
    model = mlp([784, 16, 10], seed=0)
    a = export.sample_test_images(model, images, labels, n=10, seed=4)
    b = export.sample_test_images(model, images, labels, n=10, seed=4)
    assert a == b


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n": 0}, "n must be between 1 and 200"),
        ({"mistakes": 1.5}, "mistakes must be a fraction"),
    ],
)
def test_bad_sample_requests_are_refused(kwargs: dict, message: str) -> None:
    images, labels = _toy_digits()
    with pytest.raises(ValueError, match=message):
        export.sample_test_images(mlp([784, 4, 10]), images, labels, **kwargs)


def test_samples_need_uint8_images_and_matching_labels() -> None:
    images, labels = _toy_digits()
    with pytest.raises(TypeError, match="expected uint8 images"):
        export.sample_test_images(mlp([784, 4, 10]), images / 255, labels)
    with pytest.raises(ValueError, match="expected 200 labels"):
        export.sample_test_images(mlp([784, 4, 10]), images, labels[:5])
