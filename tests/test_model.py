"""Sequential and mlp: composition, modes, prediction, trustworthy files."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

import scratchnet.model
import scratchnet.model_file
from scratchnet.attention import vit
from scratchnet.gradcheck import check_layer
from scratchnet.layers import Dropout, Linear, ReLU, Tanh
from scratchnet.model import ModelFileError, Sequential, cnn, load, mlp

RNG = np.random.default_rng(0)
X = RNG.random((50, 6), dtype=np.float32)


@pytest.fixture
def model() -> Sequential:
    return mlp([6, 8, 5, 3], dropout=0.2, seed=0)


@pytest.fixture
def saved(model, tmp_path):
    path = tmp_path / "model.npz"
    model.save(path, metadata={"test_accuracy": np.float64(0.98)})
    return path


def _rewrite(src, dst, change):
    """Copy an archive, letting ``change(arrays)`` edit its dict of arrays first."""
    with np.load(src, allow_pickle=False) as npz:
        arrays = dict(npz)
    change(arrays)
    np.savez(dst, **arrays)
    return dst


def _edit_meta(edit):
    def change(arrays):
        meta = json.loads(str(arrays[scratchnet.model.META_KEY]))
        edit(meta)
        arrays[scratchnet.model.META_KEY] = np.array(json.dumps(meta))
    return change


def test_mlp_builds_linear_layers_with_activations_between(model):
    kinds = [type(layer) for layer in model]
    assert kinds == [Linear, ReLU, Dropout, Linear, ReLU, Dropout, Linear]
    assert model.architecture == "6-8-5-3 relu, dropout 0.2"
    assert mlp([784, 256, 128, 10]).architecture == "784-256-128-10 relu"
    assert mlp([4, 3, 2], activation="leaky_relu").architecture == "4-3-2 leaky_relu"


def test_other_networks_list_their_layers_in_order_with_repeats_counted():
    assert cnn(seed=0).architecture == (
        "Conv2D(1, 16, 5, padding=2), relu, MaxPool2D(2), Conv2D(16, 32, 5), "
        "relu, MaxPool2D(2), 800-128-10 relu")
    assert vit(depth=3).architecture == (
        "PatchEmbedding(patch=7, dim=64, image=28), "
        "3 x TransformerBlock(dim=64, heads=4, hidden=128), "
        "LayerNorm(dim=64, eps=1e-05), MeanPool(), 64-10")
    assert mlp([4, 3], activation="tanh")[0].init == "glorot"


def test_parameters_come_in_layer_order_w_then_b(model):
    names = [name for name, _ in model.named_parameters()]
    assert names == ["0.W", "0.b", "3.W", "3.b", "6.W", "6.b"]
    assert model.parameters() == [p for _, p in model.named_parameters()]


def test_whole_network_passes_the_gradient_checker(model):
    result = check_layer(model, X.astype(np.float64)[:5])
    assert result.ok, result
    assert set(result.errors) == {"input", "0.W", "0.b", "3.W", "3.b", "6.W", "6.b"}


def test_forward_is_the_layers_in_order_and_backward_in_reverse():
    first, act, second = Linear(6, 4, rng=1), Tanh(), Linear(4, 2, rng=2)
    model = Sequential(first, act, second)
    np.testing.assert_array_equal(model(X), second(act(first(X))))
    g = np.ones((50, 2), np.float32)
    assert model.backward(g).shape == X.shape
    assert model.backward(g, input_grad=False) is None   # grads still filled
    h = np.tanh(X @ first.W.value + first.b.value)
    d_first = (g @ second.W.value.T) * (1 - h**2)        # chain rule by hand
    np.testing.assert_allclose(second.W.grad, 2 * h.T @ g, rtol=1e-5)
    np.testing.assert_allclose(first.W.grad, 2 * X.T @ d_first, rtol=1e-5)


def test_same_seed_builds_the_same_network_and_another_seed_does_not():
    a, b, c = mlp([6, 8, 3], seed=1), mlp([6, 8, 3], seed=1), mlp([6, 8, 3], seed=2)
    np.testing.assert_array_equal(a(X), b(X))
    assert not np.array_equal(a(X), c(X))


def test_a_float64_mlp_is_the_float32_one_in_double_precision():
    single = mlp([2, 8, 3], "tanh", seed=4)
    double = mlp([2, 8, 3], "tanh", seed=4, dtype=np.float64)
    for p32, p64 in zip(single.parameters(), double.parameters()):
        assert p64.dtype == np.float64
        assert np.array_equal(p64.value, p32.value.astype(np.float64))
    x = np.random.default_rng(0).standard_normal((5, 2))
    assert double.forward(x).dtype == np.float64


def test_train_and_eval_switch_every_layer(model):
    assert model.eval() is model
    assert not any(layer.training for layer in model)
    model.train()
    assert all(layer.training for layer in model)


def test_predict_is_batched_deterministic_and_restores_the_mode(model):
    model.train()
    with_big_batches = model.predict(X, batch_size=1000)
    with_small_batches = model.predict(X, batch_size=7)
    np.testing.assert_array_equal(with_big_batches, with_small_batches)
    np.testing.assert_array_equal(with_big_batches, model.predict(X))
    assert model.training                     # back in training mode
    probs = model.predict_proba(X, batch_size=7)
    assert probs.shape == (50, 3) and probs.dtype == np.float32
    np.testing.assert_allclose(probs.sum(axis=1), 1, rtol=1e-6)
    np.testing.assert_array_equal(probs.argmax(axis=1), with_big_batches)
    assert model.predict(X[:0]).shape == (0,)


def test_zero_grad_clears_every_parameter(model):
    model.forward(X)
    model.backward(np.ones((50, 3), np.float32))
    model.zero_grad()
    assert not any(p.grad.any() for p in model.parameters())


def test_sequential_refuses_nothing_and_non_layers():
    with pytest.raises(ValueError, match="at least one layer"):
        Sequential()
    with pytest.raises(TypeError, match="takes layers"):
        Sequential(np.zeros(3))


@pytest.mark.parametrize("kwargs, message", [
    ({"sizes": [10]}, "at least input and output"),
    ({"sizes": [4, 2], "activation": "swish"}, "activation must be one of"),
])
def test_mlp_refuses_bad_recipes(kwargs, message):
    with pytest.raises(ValueError, match=message):
        mlp(**kwargs)


def test_repr_lists_the_layers(model):
    text = repr(model)
    assert text.startswith("Sequential(\n  (0): Linear(6, 8)\n  (1): ReLU()")


def test_save_then_load_gives_identical_predictions(model, saved):
    loaded = Sequential.load(saved)
    assert not loaded.training
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))
    for (name, p), (name2, q) in zip(model.named_parameters(),
                                     loaded.named_parameters()):
        assert name == name2 and q.dtype == np.float32
        np.testing.assert_array_equal(p.value, q.value)
    assert loaded.architecture == model.architecture
    assert loaded.metadata == {"test_accuracy": 0.98}
    assert repr(load(saved)) == repr(model)


def test_saved_file_is_a_plain_npz_without_pickles(saved):
    with np.load(saved, allow_pickle=False) as npz:
        assert set(npz.files) == {"0.W", "0.b", "3.W", "3.b", "6.W", "6.b",
                                  scratchnet.model.META_KEY}
        meta = json.loads(str(npz[scratchnet.model.META_KEY]))
    assert meta["version"] == scratchnet.model_file.FORMAT_VERSION
    assert meta["layers"][0] == {"type": "Linear", "in_features": 6,
                                 "out_features": 8, "init": "he"}


def test_save_replaces_atomically_and_leaves_no_temporary_files(model, saved):
    model.save(saved)                                 # overwrite in place
    assert os.listdir(saved.parent) == ["model.npz"]


def test_a_failed_save_keeps_the_old_file(model, saved):
    before = saved.read_bytes()
    with pytest.raises(TypeError, match="JSON"):
        model.save(saved, metadata={"bad": object()})
    assert saved.read_bytes() == before
    assert os.listdir(saved.parent) == ["model.npz"]


@pytest.mark.parametrize("keep", [0.0, 0.3, 0.9, 0.999])
def test_a_truncated_file_is_refused(saved, keep):
    data = saved.read_bytes()
    saved.write_bytes(data[:int(len(data) * keep)])
    with pytest.raises(ModelFileError, match="truncated or corrupted|is empty"):
        Sequential.load(saved)


def test_flipped_bytes_are_caught(saved):
    data = bytearray(saved.read_bytes())
    data[len(data) // 3] ^= 0xFF                     # inside the weights
    saved.write_bytes(bytes(data))
    with pytest.raises(ModelFileError):
        Sequential.load(saved)


def test_a_missing_file_is_a_file_not_found_error(tmp_path):
    with pytest.raises(FileNotFoundError):
        Sequential.load(tmp_path / "nope.npz")


@pytest.mark.parametrize("change, message", [
    (_edit_meta(lambda m: m.update(version=2)), "format version 2.*reads version 1"),
    (_edit_meta(lambda m: m.update(format="other")), "not a scratchnet.Sequential"),
    (_edit_meta(lambda m: m["layers"][1].update(type="Conv9D")),
     "unknown layer type 'Conv9D'"),
    (_edit_meta(lambda m: m["layers"][0].update(out_features=9)),
     r"'0.W' is float32 \(6, 8\), but layer 0 \(Linear\) needs float \(6, 9\)"),
    (_edit_meta(lambda m: m["layers"][0].update(bogus=1)), "invalid layer config"),
    (_edit_meta(lambda m: m.pop("layers")), "no list of layers"),
    (lambda a: a.pop("3.b"), r"missing \['3.b'\]"),
    (lambda a: a.update(extra=np.zeros(2)),
     r"unexpected entry 'extra.npy'.*\(refused unread\)"),
    (lambda a: a.update({"0.W": np.zeros((6, 8), np.int32)}), "needs float"),
    (lambda a: a["6.b"].__setitem__(0, np.nan), "'6.b' contains NaN"),
    (lambda a: a.update({scratchnet.model.META_KEY: np.array("{not json")}),
     "not valid JSON"),
    (lambda a: a.pop(scratchnet.model.META_KEY), "no scratchnet metadata"),
], ids=["version", "format", "layer-type", "shape", "config", "no-layers",
        "missing", "extra", "dtype", "nan", "json", "no-metadata"])
def test_tampered_files_get_a_clear_error(saved, tmp_path, change, message):
    bad = _rewrite(saved, tmp_path / "bad.npz", change)
    with pytest.raises(ModelFileError, match=message):
        Sequential.load(bad)


def test_a_lone_npy_array_is_not_a_model(tmp_path):
    np.save(tmp_path / "x.npy", np.zeros(3))
    with pytest.raises(ModelFileError, match="not an .npz"):
        Sequential.load(tmp_path / "x.npy")


@pytest.mark.parametrize("value", [float("nan"), float("inf"), 10**5000],
                         ids=["nan", "inf", "5000-digits"])
def test_metadata_json_cannot_hold_is_refused_and_the_old_file_kept(
        model, saved, value):
    before = saved.read_bytes()
    with pytest.raises(ValueError, match="cannot be written as JSON"):
        model.save(saved, metadata={"x": value})
    assert saved.read_bytes() == before


def test_batches_keep_the_activations_within_their_budget():
    from scratchnet.presets import PRESETS

    for name in ("best-mlp", "best-cnn", "best-vit"):
        configs = [layer.config() for layer in PRESETS[name].build_model(n_in=784)]
        cost = scratchnet.model_file.forward_cost(name, configs, 784)
        assert cost.outputs == 10 and 1 <= cost.batch_size() <= 1000
        assert cost.batch_size() * 24 * cost.values <= 256 << 20
    wide = [{"type": "Linear", "in_features": 784, "out_features": 1 << 18}]
    cost = scratchnet.model_file.forward_cost("wide", wide, 784)
    assert cost.batch_size() * 24 * cost.values <= 256 << 20 < 1000 * 24 * cost.values


def _vit_configs(**block):
    """A transformer's layer configs, its block changed by ``block``."""
    from scratchnet.attention import vit

    configs = [layer.config() for layer in vit(7, 16, 1, 2, 32)]
    configs[1].update(block)
    return configs


def test_the_cost_of_a_transformer_follows_its_tokens():
    cost = scratchnet.model_file.forward_cost("vit", _vit_configs(), 784)
    tokens, dim, hidden = 16, 16, 32
    embed = tokens * 49 * dim
    block = 4 * tokens * dim * dim + 2 * tokens * tokens * dim + 2 * tokens * dim * hidden
    norm, pool, head = 3 * tokens * dim, tokens * dim, dim * 10
    assert cost.flops == embed + block + norm + pool + head
    assert cost.outputs == 10


@pytest.mark.parametrize(("configs", "message"), [
    (_vit_configs(dim=32), "needs tokens of 32 numbers, gets 16"),
    (_vit_configs(heads=0), "heads must be positive"),
    (_vit_configs(heads=1 << 20), "multiply-adds per input row"),
    (_vit_configs(hidden=1 << 22), "multiply-adds per input row"),
    ([{"type": "PatchEmbedding", "patch": 5, "dim": 8, "image": 28}],
     "the patch a divisor of the image"),
    ([{"type": "PatchEmbedding", "patch": 4, "dim": 8, "image": 32}],
     "needs rows of 1024 pixels"),
    ([{"type": "MeanPool"}], r"needs tokens \(tokens, dim\)"),
], ids=["dim", "no-heads", "heads", "hidden", "patch", "image", "pool"])
def test_a_transformer_that_cannot_read_or_costs_too_much_is_refused(configs,
                                                                      message):
    with pytest.raises(ModelFileError, match=message):
        scratchnet.model_file.forward_cost("vit", configs, 784)


@pytest.mark.parametrize(("edit", "message"), [
    ({"patch": 0}, "layer 0: invalid layer config"),      # divides by zero
    ({"patch": 5}, r"'0.W' is float32 \(49, 16\), but .* needs float \(25, 16\)"),
    ({"dim": 8}, r"'0.W' is float32 \(49, 16\), but layer 0 \(PatchEmbedding\)"),
], ids=["patch-0", "patch-5", "dim"])
def test_a_tampered_transformer_file_gets_a_clear_error(tmp_path, edit, message):
    from scratchnet.attention import vit

    saved = vit(7, 16, 1, 2, 32).save(tmp_path / "vit.npz")
    bad = _rewrite(saved, tmp_path / "bad.npz",
                   _edit_meta(lambda m: m["layers"][0].update(edit)))
    with pytest.raises(ModelFileError, match=message):
        Sequential.load(bad)
