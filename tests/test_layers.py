"""Layers: shapes, initialisation, clear errors, backward == d forward."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scratchnet import layers
from scratchnet.gradcheck import check_layer
from scratchnet.layers import (
    LAYER_TYPES,
    Dropout,
    Layer,
    LeakyReLU,
    Linear,
    ReLU,
    Sigmoid,
    Tanh,
    default_init,
    layer_from_config,
    register,
)
from scratchnet.model import Sequential, load, mlp

RNG = np.random.default_rng(0)
X = RNG.standard_normal((6, 5))

LAYERS = [
    lambda: Linear(5, 4, rng=1),
    lambda: Linear(5, 4, init="glorot", rng=1),
    lambda: ReLU(),
    lambda: LeakyReLU(0.1),
    lambda: Sigmoid(),
    lambda: Tanh(),
    lambda: Dropout(0.4, rng=1),
]
NAMES = ["linear-he", "linear-glorot", "relu", "leaky-relu", "sigmoid", "tanh",
         "dropout"]


@pytest.mark.parametrize("make", LAYERS, ids=NAMES)
def test_backward_matches_finite_differences_in_float64(make):
    result = check_layer(make(), X)
    assert result.ok, result


def test_dropout_in_eval_mode_passes_the_gradient_checker_too():
    layer = Dropout(0.5, rng=0)
    layer.training = False
    assert check_layer(layer, X).ok


@pytest.mark.parametrize("make", LAYERS, ids=NAMES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_outputs_and_input_gradients_follow_the_input_dtype(make, dtype):
    layer, x = make(), X.astype(dtype)
    y = layer.forward(x)
    assert y.dtype == dtype
    assert layer.backward(np.ones_like(y)).dtype == dtype


def test_linear_computes_x_at_w_plus_b_with_documented_shapes():
    layer = Linear(5, 3, rng=0)
    W, b = layer.parameters()
    assert (W, b) == (layer.W, layer.b)
    assert W.shape == (5, 3) and b.shape == (3,)
    assert W.dtype == b.dtype == np.float32
    b.value[:] = [1, 2, 3]
    x = X.astype(np.float32)
    np.testing.assert_allclose(layer.forward(x), x @ W.value + b.value, rtol=1e-6)


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 9), st.integers(1, 9), st.integers(1, 9))
def test_linear_backward_shapes_for_any_sizes(batch, n_in, n_out):
    layer = Linear(n_in, n_out, rng=0)
    y = layer.forward(np.ones((batch, n_in), np.float32))
    assert y.shape == (batch, n_out)
    grad_in = layer.backward(np.ones_like(y))
    assert grad_in.shape == (batch, n_in)
    assert layer.W.grad.shape == (n_in, n_out) and layer.b.grad.shape == (n_out,)


def test_he_and_glorot_scales():
    he = Linear(1000, 500, rng=0).W.value
    glorot = Linear(1000, 500, init="glorot", rng=0).W.value
    assert he.std() == pytest.approx(np.sqrt(2 / 1000), rel=0.02)
    assert np.abs(glorot).max() <= np.sqrt(6 / 1500)
    assert glorot.std() == pytest.approx(np.sqrt(2 / 1500), rel=0.02)


def test_same_seed_same_weights_and_a_shared_generator_gives_new_ones():
    assert np.array_equal(Linear(4, 3, rng=7).W.value, Linear(4, 3, rng=7).W.value)
    assert not np.array_equal(Linear(4, 3, rng=7).W.value,
                              Linear(4, 3, rng=8).W.value)
    rng = np.random.default_rng(0)
    assert not np.array_equal(Linear(4, 3, rng=rng).W.value,
                              Linear(4, 3, rng=rng).W.value)


def test_linear_says_which_shape_it_expected():
    layer = Linear(784, 256)
    with pytest.raises(ValueError) as err:
        layer.forward(np.zeros((32, 100), np.float32))
    assert str(err.value) == ("Linear(784, 256) expected input of shape "
                              "(batch, 784), got (32, 100)")
    with pytest.raises(ValueError, match=r"\(batch, 784\), got \(784,\)"):
        layer.forward(np.zeros(784, np.float32))


@pytest.mark.parametrize("make", LAYERS, ids=NAMES)
def test_integer_input_is_refused_with_a_hint(make):
    with pytest.raises(ValueError, match="floating-point.*uint8.*astype"):
        make().forward(np.zeros((6, 5), np.uint8))


@pytest.mark.parametrize("make", LAYERS, ids=NAMES)
def test_backward_before_forward_is_an_error(make):
    with pytest.raises(RuntimeError, match="before forward"):
        make().backward(np.ones((6, 4)))


@pytest.mark.parametrize("make", LAYERS, ids=NAMES)
def test_a_gradient_of_the_wrong_shape_never_broadcasts(make):
    layer = make()
    y = layer.forward(X)
    with pytest.raises(ValueError, match=r"expected grad_out of shape"):
        layer.backward(np.ones((1, y.shape[1])))


def test_parameter_gradients_accumulate_until_zeroed():
    layer = Linear(5, 4, rng=0)
    y = layer.forward(X)
    layer.backward(np.ones_like(y))
    once = layer.W.grad.copy()
    layer.backward(np.ones_like(y))
    np.testing.assert_allclose(layer.W.grad, 2 * once, rtol=1e-6)
    for p in layer.parameters():
        p.zero_grad()
    assert not layer.W.grad.any() and not layer.b.grad.any()


def test_backward_parameters_gives_backward_s_parameter_gradients_alone():
    full, lean = Linear(5, 4, rng=0), Linear(5, 4, rng=0)
    g = np.ones((6, 4))
    full.forward(X)
    lean.forward(X)
    full.backward(g)
    assert lean.backward_parameters(g) is None
    np.testing.assert_array_equal(full.W.grad, lean.W.grad)
    np.testing.assert_array_equal(full.b.grad, lean.b.grad)


def test_the_base_class_backward_parameters_runs_backward():
    """A reader's layer that only writes ``backward`` still works first."""
    calls = []

    class Scale(Layer):
        def backward(self, grad_out):
            calls.append(grad_out)
            return grad_out

    g = np.ones((2, 3))
    assert Scale().backward_parameters(g) is None
    assert calls == [g]


def test_backward_before_forward_is_refused_clearly():
    for layer in (Linear(5, 4), ReLU(), Sigmoid(), Tanh(), Dropout(0.5)):
        with pytest.raises(RuntimeError, match=r"backward\(\) called before forward"):
            layer.backward(np.ones((6, 4)))


def test_dropout_zeroes_about_p_and_rescales_the_survivors():
    layer = Dropout(0.3, rng=0)
    x = np.ones((200, 500), np.float32)
    y = layer.forward(x)
    assert y.dtype == np.float32
    assert np.mean(y == 0) == pytest.approx(0.3, abs=0.01)
    np.testing.assert_allclose(y[y != 0], 1 / 0.7, rtol=1e-6)
    assert y.mean() == pytest.approx(1.0, abs=0.01)
    np.testing.assert_array_equal(layer.backward(x), y)   # same mask


def test_dropout_is_the_identity_in_eval_mode_and_seeded_in_training():
    layer = Dropout(0.5, rng=0)
    layer.training = False
    assert layer.forward(X) is X and layer.backward(X) is X
    a, b = Dropout(0.5, rng=3), Dropout(0.5, rng=3)
    np.testing.assert_array_equal(a.forward(X), b.forward(X))


@pytest.mark.parametrize("p", [-0.1, 1.0, 2])
def test_dropout_refuses_impossible_probabilities(p):
    with pytest.raises(ValueError, match=r"\[0, 1\)"):
        Dropout(p)


@pytest.mark.parametrize("args", [(0, 3), (3, -1), (2.5, 3), (True, 3)])
def test_linear_refuses_bad_sizes(args):
    # 0 and -1: "... a whole number >= 1, got 0"; 2.5 and True: "... a whole
    # number, got 2.5" (NotWholeError, a ValueError and a TypeError).
    with pytest.raises(ValueError, match=r"_features must be a whole number"):
        Linear(*args)


def test_linear_refuses_an_unknown_init():
    with pytest.raises(ValueError, match="'he' or 'glorot'"):
        Linear(3, 2, init="zeros")


@pytest.mark.parametrize("make", LAYERS, ids=NAMES)
def test_config_rebuilds_an_equivalent_layer(make):
    layer = make()
    rebuilt = layer_from_config(layer.config())
    assert type(rebuilt) is type(layer)
    assert rebuilt.config() == layer.config()
    assert repr(rebuilt) == repr(layer)


def test_an_unknown_layer_type_lists_the_known_ones():
    with pytest.raises(ValueError, match="unknown layer type 'Conv9D'.*Linear"):
        layer_from_config({"type": "Conv9D"})
    assert {"Linear", "ReLU", "Dropout"} <= set(LAYER_TYPES)


def test_the_registry_holds_exactly_the_built_in_layers():
    assert set(LAYER_TYPES) == {"Linear", "ReLU", "LeakyReLU", "Sigmoid", "Tanh",
                                "Dropout", "Conv2D", "MaxPool2D", "Reshape",
                                "Flatten", "LayerNorm", "GELU",
                                "MultiHeadSelfAttention", "PatchEmbedding",
                                "TransformerBlock", "MeanPool"}


def test_a_reader_s_class_of_a_built_in_name_changes_nothing_load_builds(tmp_path):
    class ReLU(Layer):                      # a notebook's own, same name
        def forward(self, x):
            return x

    assert LAYER_TYPES["ReLU"] is layers.ReLU
    path = mlp([4, 3, 2], seed=0).save(tmp_path / "m.npz")
    assert type(load(path)[1]) is layers.ReLU
    with pytest.raises(ValueError, match="not a registered layer type"):
        Sequential(Linear(4, 3), ReLU()).save(tmp_path / "mine.npz")
    assert not (tmp_path / "mine.npz").exists()


def test_registering_a_second_class_under_a_taken_name_is_refused():
    class ReLU(Layer):
        pass

    with pytest.raises(ValueError, match="'ReLU'.*taken by scratchnet.layers.ReLU"):
        register(ReLU)
    assert LAYER_TYPES["ReLU"] is layers.ReLU


def test_a_registered_layer_of_a_new_name_saves_and_loads(tmp_path):
    class Double(Layer):
        def forward(self, x):
            return 2 * x

        def backward(self, grad_out):
            return 2 * grad_out

    try:
        register(Double)
        path = Sequential(Linear(4, 2), Double()).save(tmp_path / "m.npz")
        assert type(load(path)[1]) is Double
    finally:
        del LAYER_TYPES["Double"]


def test_reprs_are_short_and_useful():
    assert repr(Linear(784, 256)) == "Linear(784, 256)"
    assert repr(Linear(4, 2, init="glorot")) == "Linear(4, 2, init='glorot')"
    assert repr(ReLU()) == "ReLU()"
    assert repr(Dropout(0.2)) == "Dropout(p=0.2)"
    assert repr(LeakyReLU(0.1)) == "LeakyReLU(slope=0.1)"
    assert repr(Linear(3, 2).W) == "Parameter('W', shape=(3, 2), dtype=float32)"


@pytest.mark.parametrize(("init", "variance"), [
    ("he", lambda i, o: 2 / i), ("glorot", lambda i, o: 2 / (i + o))])
def test_init_weights_has_the_variance_its_scheme_promises(init, variance):
    from scratchnet.layers import init_weights

    w = init_weights(400, 300, init, np.random.default_rng(0))
    assert w.shape == (400, 300) and w.dtype == np.float32
    assert w.var() == pytest.approx(variance(400, 300), rel=0.02)
    assert abs(w.mean()) < 0.01 * w.std()
    with pytest.raises(ValueError, match="init must be 'he' or 'glorot'"):
        init_weights(4, 3, "xavier", np.random.default_rng(0))


def test_a_float64_linear_starts_from_the_float32_weights_and_stays_float64():
    single, double = Linear(5, 4, rng=3), Linear(5, 4, rng=3, dtype=np.float64)
    assert double.W.dtype == double.b.dtype == np.float64
    assert np.array_equal(double.W.value, single.W.value.astype(np.float64))
    y = double.forward(X)
    double.backward(np.ones_like(y))
    assert y.dtype == double.W.grad.dtype == double.b.grad.dtype == np.float64
    rebuilt = layer_from_config(double.config())
    assert rebuilt.dtype == np.float64
    assert repr(double) == "Linear(5, 4, dtype=float64)"


@pytest.mark.parametrize("dtype", [np.int32, np.float16, "complex128", "pixels"])
def test_linear_refuses_a_dtype_that_is_not_float32_or_float64(dtype):
    with pytest.raises(ValueError, match="dtype must be float32 or float64"):
        Linear(2, 2, dtype=dtype)


@pytest.mark.parametrize(("activation", "init"), [
    ("relu", "he"), ("leaky_relu", "he"), ("tanh", "glorot"), ("sigmoid", "glorot")])
def test_relu_like_layers_start_with_he_and_saturating_ones_with_glorot(
        activation: str, init: str) -> None:
    assert default_init(activation) == init
