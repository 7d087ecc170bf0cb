"""Convolutions: loops agree with im2col, backward == d forward, files round-trip."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scratchnet.conv import (
    Conv2D,
    Flatten,
    MaxPool2D,
    Reshape,
    col2im_matmul,
    im2col,
    output_size,
)
from scratchnet.gradcheck import check_layer
from scratchnet.layers import LAYER_TYPES, layer_from_config
from scratchnet.model import Sequential, cnn

RNG = np.random.default_rng(0)


def conv_loop(x: np.ndarray, W: np.ndarray, b: np.ndarray, stride: int,
              padding: int) -> np.ndarray:
    """The definition, one output pixel at a time: the slow, obvious reference."""
    x = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    n, _, h, w = x.shape
    o, _, kh, kw = W.shape
    ho, wo = (h - kh) // stride + 1, (w - kw) // stride + 1
    y = np.empty((n, o, ho, wo))
    for i in range(ho):
        for j in range(wo):
            patch = x[:, :, i * stride:i * stride + kh, j * stride:j * stride + kw]
            y[:, :, i, j] = np.einsum("ncuv,ocuv->no", patch, W) + b
    return y


def pool_loop(x: np.ndarray, size: int, stride: int) -> np.ndarray:
    n, c, h, w = x.shape
    ho, wo = (h - size) // stride + 1, (w - size) // stride + 1
    y = np.empty((n, c, ho, wo))
    for i in range(ho):
        for j in range(wo):
            y[:, :, i, j] = x[:, :, i * stride:i * stride + size,
                              j * stride:j * stride + size].max(axis=(2, 3))
    return y


CONV_CASES = [  # (in, out, kernel, stride, padding, input shape)
    (1, 2, 3, 1, 0, (2, 1, 5, 5)),
    (2, 3, 3, 1, 1, (2, 2, 5, 4)),
    (3, 2, (2, 3), 2, 0, (2, 3, 6, 7)),
    (2, 2, 3, 2, 2, (1, 2, 5, 5)),
    (2, 4, 1, 1, 0, (3, 2, 3, 3)),
    (1, 1, 5, 3, 1, (2, 1, 9, 8)),
]


@pytest.mark.parametrize("cin,cout,k,stride,pad,shape", CONV_CASES)
def test_conv_forward_matches_the_direct_loop(cin, cout, k, stride, pad, shape):
    layer = Conv2D(cin, cout, k, stride=stride, padding=pad, rng=1)
    layer.b.value[:] = RNG.standard_normal(cout)
    x = RNG.standard_normal(shape)
    expected = conv_loop(x, layer.W.value.astype(np.float64),
                         layer.b.value.astype(np.float64), stride, pad)
    np.testing.assert_allclose(layer.forward(x), expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("cin,cout,k,stride,pad,shape", CONV_CASES)
def test_conv_backward_matches_finite_differences_in_float64(
        cin, cout, k, stride, pad, shape):
    layer = Conv2D(cin, cout, k, stride=stride, padding=pad, rng=2)
    result = check_layer(layer, RNG.standard_normal(shape))
    assert result.ok, result


@settings(max_examples=15, deadline=None)
@given(n=st.integers(1, 2), cin=st.integers(1, 3), cout=st.integers(1, 3),
       k=st.integers(1, 3), stride=st.integers(1, 2), pad=st.integers(0, 1),
       h=st.integers(3, 6), w=st.integers(3, 6), seed=st.integers(0, 99))
def test_conv_gradients_hold_for_random_shapes(n, cin, cout, k, stride, pad, h, w,
                                               seed):
    layer = Conv2D(cin, cout, k, stride=stride, padding=pad, rng=seed)
    x = np.random.default_rng(seed).standard_normal((n, cin, h, w))
    assert check_layer(layer, x, seed=seed).ok


@pytest.mark.parametrize("channels", [1, 3])
@pytest.mark.parametrize("stride", [1, 2])
def test_im2col_rows_are_the_patches_in_output_pixel_order(channels, stride):
    # One channel takes a faster, transposed route; both must give the same
    # matrix: row (i, j, n) is the patch of image n under output pixel
    # (i, j), ravelled as (u, v, c).
    x = RNG.standard_normal((7, 6, 2, channels)).astype(np.float32)  # HWNC
    cols = im2col(x, 3, 2, stride)
    ho, wo = output_size(7, 3, stride), output_size(6, 2, stride)
    expected = np.stack([
        x[stride * i:stride * i + 3, stride * j:stride * j + 2, n].ravel()
        for i in range(ho) for j in range(wo) for n in range(2)])
    np.testing.assert_array_equal(cols, expected)
    assert cols.dtype == np.float32


def test_col2im_is_the_adjoint_of_im2col():
    # <im2col(x) W, g> == <x, col2im(g W^T)> for every x and g: the identity
    # that makes col2im the right backward pass for im2col.
    x = RNG.standard_normal((7, 6, 2, 3))                    # (H, W, N, C)
    W = RNG.standard_normal((4, 3, 3, 2))                    # (O, C, kh, kw)
    for stride in (1, 2):
        cols = im2col(x, 3, 2, stride)
        w_mat = W.transpose(2, 3, 1, 0).reshape(-1, 4)
        g = RNG.standard_normal((output_size(7, 3, stride),
                                 output_size(6, 2, stride), 2, 4))
        lhs = np.sum((cols @ w_mat) * g.reshape(-1, 4))
        rhs = np.sum(x * col2im_matmul(g, W, x.shape, stride))
        assert lhs == pytest.approx(rhs, rel=1e-10)


def test_conv_parameters_are_w_then_b_with_documented_shapes_in_float32():
    layer = Conv2D(3, 8, 5, rng=0)
    W, b = layer.parameters()
    assert (W, b) == (layer.W, layer.b)
    assert W.shape == (8, 3, 5, 5) and b.shape == (8,)
    assert W.dtype == b.dtype == np.float32
    assert np.std(W.value) == pytest.approx(np.sqrt(2 / 75), rel=0.1)  # He


def test_conv_keeps_float32_through_forward_and_backward():
    layer = Conv2D(2, 3, 3, padding=1, rng=0)
    x = RNG.standard_normal((2, 2, 6, 6)).astype(np.float32)
    y = layer.forward(x)
    assert y.dtype == np.float32 and y.shape == (2, 3, 6, 6)
    assert layer.backward(np.ones_like(y)).dtype == np.float32
    assert layer.W.grad.dtype == np.float32


POOL_CASES = [(2, None, (2, 3, 6, 6)), (2, None, (1, 2, 5, 7)),
              (3, 1, (2, 2, 5, 6)), (3, 2, (1, 1, 7, 7)), (2, 3, (2, 1, 8, 8))]


@pytest.mark.parametrize("size,stride,shape", POOL_CASES)
def test_maxpool_forward_matches_the_direct_loop(size, stride, shape):
    x = RNG.standard_normal(shape)
    layer = MaxPool2D(size, stride)
    np.testing.assert_array_equal(layer.forward(x),
                                  pool_loop(x, size, stride or size))


@pytest.mark.parametrize("size,stride,shape", POOL_CASES)
def test_maxpool_backward_matches_finite_differences(size, stride, shape):
    # Random inputs have no ties, so the maximum is differentiable there.
    result = check_layer(MaxPool2D(size, stride), RNG.standard_normal(shape))
    assert result.ok, result


def test_maxpool_routes_each_gradient_to_its_maximum_and_first_on_ties():
    x = np.array([[[[1., 5., 0., 0.],
                    [2., 3., 0., 0.],
                    [7., 7., 4., 9.],
                    [7., 1., 9., 2.]]]])
    layer = MaxPool2D(2)
    np.testing.assert_array_equal(layer.forward(x), [[[[5., 0.], [7., 9.]]]])
    dx = layer.backward(np.array([[[[10., 20.], [30., 40.]]]]))
    np.testing.assert_array_equal(dx, [[[[0., 10., 20., 0.],
                                         [0., 0., 0., 0.],
                                         [30., 0., 0., 40.],
                                         [0., 0., 0., 0.]]]])


def test_overlapping_windows_add_up_the_gradients_they_share():
    x = np.zeros((1, 1, 3, 3))
    x[0, 0, 1, 1] = 1.0                  # the maximum of all four 2x2 windows
    layer = MaxPool2D(2, stride=1)
    layer.forward(x)
    dx = layer.backward(np.ones((1, 1, 2, 2)))
    assert dx[0, 0, 1, 1] == 4 and dx.sum() == 4


def test_flatten_and_reshape_undo_each_other_forward_and_backward():
    x = RNG.standard_normal((4, 12))
    reshape, flatten = Reshape((3, 2, 2)), Flatten()
    images = reshape.forward(x)
    assert images.shape == (4, 3, 2, 2)
    np.testing.assert_array_equal(flatten.forward(images), x)
    np.testing.assert_array_equal(
        reshape.backward(flatten.backward(x)), x)
    assert check_layer(Reshape((1, 3, 4)), x).ok
    assert check_layer(Flatten(), images).ok


def test_flatten_hands_the_gradient_back_in_its_inputs_memory_order():
    # A Conv2D stack keeps its maps in (H, W, N, C) order; the pooling layer
    # below Flatten multiplies its gradient elementwise with arrays of that
    # order, so the gradient must arrive in it, with the same values.
    stored = RNG.standard_normal((5, 4, 2, 3)).astype(np.float32)
    images = stored.transpose(2, 3, 0, 1)               # (N, C, H, W) view
    flatten = Flatten()
    rows = flatten.forward(images)
    grad = flatten.backward(rows)
    np.testing.assert_array_equal(grad, images)
    assert grad.strides == images.strides


@pytest.mark.parametrize("make,x,message", [
    (lambda: Conv2D(3, 4, 3), np.zeros((2, 1, 8, 8)), r"\(batch, 3, height"),
    (lambda: Conv2D(1, 4, 3), np.zeros((2, 8, 8)), r"got \(2, 8, 8\)"),
    (lambda: Conv2D(1, 4, 5), np.zeros((2, 1, 3, 3)), "smaller than the kernel"),
    (lambda: Conv2D(1, 4, 3), np.zeros((2, 1, 8, 8), np.uint8), "floating"),
    (lambda: MaxPool2D(2), np.zeros((2, 1, 8)), "height, width"),
    (lambda: MaxPool2D(4), np.zeros((2, 1, 3, 8)), "smaller than the 4x4"),
    (lambda: Reshape((1, 28, 28)), np.zeros((2, 783)), "784 values"),
])
def test_bad_inputs_get_errors_naming_expected_and_found(make, x, message):
    with pytest.raises(ValueError, match=message):
        make().forward(x)


@pytest.mark.parametrize("kwargs,message", [
    ({"in_channels": 0}, "in_channels"), ({"stride": 0}, "stride"),
    ({"padding": -1}, "padding"), ({"kernel_size": (3, 3, 3)}, "kernel_size"),
    ({"init": "zeros"}, "init"),
])
def test_bad_conv_arguments_are_refused(kwargs, message):
    args = {"in_channels": 1, "out_channels": 2, "kernel_size": 3, **kwargs}
    with pytest.raises(ValueError, match=message):
        Conv2D(**args)


@pytest.mark.parametrize("make,x", [
    (lambda: Conv2D(1, 2, 3), np.zeros((2, 1, 5, 5))),
    (lambda: MaxPool2D(2), np.zeros((2, 1, 4, 4))),
    (lambda: Flatten(), np.zeros((2, 1, 4, 4))),
    (lambda: Reshape((1, 2, 2)), np.zeros((2, 4))),
])
def test_backward_refuses_a_missing_forward_or_a_wrong_gradient_shape(make, x):
    layer = make()
    with pytest.raises(RuntimeError, match="before forward"):
        layer.backward(np.zeros(1))
    y = layer.forward(x)
    with pytest.raises(ValueError, match="expected grad_out of shape"):
        layer.backward(np.zeros((y.shape[0] + 1, *y.shape[1:])))


@pytest.mark.parametrize("layer", [
    Conv2D(2, 3, (3, 5), stride=2, padding=1, init="glorot", rng=0),
    MaxPool2D(3, stride=2), Flatten(), Reshape((1, 28, 28)),
])
def test_configs_rebuild_equal_layers_through_the_registry(layer):
    assert type(layer).__name__ in LAYER_TYPES
    rebuilt = layer_from_config(layer.config())
    assert repr(rebuilt) == repr(layer) and rebuilt.config() == layer.config()


def test_reprs_read_like_the_constructor_calls():
    assert repr(Conv2D(1, 16, 5, padding=2)) == "Conv2D(1, 16, 5, padding=2)"
    assert repr(MaxPool2D(2)) == "MaxPool2D(2)"
    assert repr(Reshape((1, 28, 28))) == "Reshape((1, 28, 28))"


def test_a_saved_cnn_loads_with_identical_predictions(tmp_path):
    model = cnn(channels=(4, 6), hidden=(16,), dropout=0.25, seed=3)
    x = np.random.default_rng(1).random((20, 784), dtype=np.float32)
    path = model.save(tmp_path / "cnn.npz", metadata={"recipe": "test"})
    loaded = Sequential.load(path)
    assert [repr(a) for a in loaded] == [repr(b) for b in model]
    np.testing.assert_array_equal(loaded.logits(x), model.logits(x))
    assert loaded.metadata == {"recipe": "test"}


def test_a_whole_cnn_passes_the_gradient_checker():
    model = cnn(channels=(2, 3), kernel_size=3, padding=(1, 0), hidden=(5,),
                input_shape=(1, 8, 8), n_classes=3, seed=0)
    x = np.random.default_rng(0).random((2, 64))
    result = check_layer(model, x)
    assert result.ok, result


def test_cnn_builder_checks_paddings_and_image_size():
    with pytest.raises(ValueError, match="one padding per conv layer"):
        cnn(channels=(4, 8), padding=(2,))
    with pytest.raises(ValueError, match="too small"):
        cnn(channels=(4, 8, 8, 8), padding=(0, 0, 0, 0), input_shape=(1, 12, 12))


def test_training_backward_skips_only_the_unused_input_gradient():
    """``input_grad=False`` stops at the first convolution (after ``Reshape``)
    yet fills every parameter gradient exactly as the full backward does."""
    from scratchnet.losses import SoftmaxCrossEntropy

    rng = np.random.default_rng(3)
    x = rng.random((6, 784), dtype=np.float32)
    y = rng.integers(0, 10, 6)
    grads = []
    for input_grad in (True, False):
        model, loss = cnn(seed=0), SoftmaxCrossEntropy()
        loss.forward(model.forward(x), y)
        model.zero_grad()
        dx = model.backward(loss.backward(), input_grad=input_grad)
        assert (dx is None) == (not input_grad)
        grads.append([p.grad.copy() for p in model.parameters()])
    for full, lean in zip(*grads):
        np.testing.assert_allclose(lean, full, rtol=1e-6, atol=1e-8)
