"""scratchnet against PyTorch autograd, in float64, on random shapes.

PyTorch is the trusted reference here (as in micrograd's tests): the same
computation is built from the same numbers in both, and the values and every
gradient must agree to float64 rounding. The tests run whenever torch is
installed; ``.ci/run`` installs it (the ``bench`` extra) and sets
``SCRATCHNET_REQUIRE_TORCH=1``, so there a missing torch fails, never skips.
The rest of the suite checks against loops and finite differences.
"""

from __future__ import annotations

import os

import numpy as np
import pytest

from scratchnet import (
    SGD,
    Adam,
    AdamW,
    Conv2D,
    FusedAdam,
    LeakyReLU,
    Linear,
    MaxPool2D,
    ReLU,
    Sigmoid,
    SoftmaxCrossEntropy,
    Tanh,
)
from scratchnet.parameter import Parameter

if os.environ.get("SCRATCHNET_REQUIRE_TORCH") == "1":
    import torch  # CI: a missing oracle is a failure
else:
    torch = pytest.importorskip("torch", reason="the oracle needs torch: "
                                "pip install -e '.[bench]'")
F = torch.nn.functional

SEEDS = range(4)
TOL = {"rtol": 1e-10, "atol": 1e-12}


def as_float64(*params: Parameter) -> None:
    """Run a layer in float64: layers follow the dtype of their arrays."""
    for p in params:
        p.value = p.value.astype(np.float64)
        p.grad = np.zeros_like(p.value)


def leaf(array: np.ndarray):
    return torch.tensor(array, dtype=torch.float64, requires_grad=True)


def close(ours: np.ndarray, theirs) -> None:
    np.testing.assert_allclose(ours, theirs.detach().numpy(), **TOL)


ACTIVATIONS = {
    "relu": (ReLU, F.relu),
    "leaky_relu": (LeakyReLU, lambda z: F.leaky_relu(z, 0.01)),
    "sigmoid": (Sigmoid, torch.sigmoid),
    "tanh": (Tanh, torch.tanh),
}


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("seed", SEEDS)
def test_linear_then_activation_matches_autograd(activation: str, seed: int) -> None:
    rng = np.random.default_rng(seed)
    n, d_in, d_out = rng.integers(1, 9), rng.integers(1, 20), rng.integers(1, 20)
    layer, (make_act, torch_act) = Linear(d_in, d_out, rng=seed), ACTIVATIONS[activation]
    act = make_act()
    as_float64(layer.W, layer.b)
    layer.b.value = rng.standard_normal(d_out)
    x, g = rng.standard_normal((n, d_in)), rng.standard_normal((n, d_out))

    out = act.forward(layer.forward(x))
    dx = layer.backward(act.backward(g))

    tx, tw, tb = leaf(x), leaf(layer.W.value), leaf(layer.b.value)
    t_out = torch_act(tx @ tw + tb)
    t_out.backward(torch.from_numpy(g))
    close(out, t_out)
    close(dx, tx.grad)
    close(layer.W.grad, tw.grad)
    close(layer.b.grad, tb.grad)


@pytest.mark.parametrize("seed", SEEDS)
def test_fused_softmax_cross_entropy_matches_autograd(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n, k = rng.integers(1, 17), rng.integers(2, 12)
    logits = 5 * rng.standard_normal((n, k))
    labels = rng.integers(0, k, n)
    loss = SoftmaxCrossEntropy()

    value = loss.forward(logits, labels)
    grad = loss.backward()

    t_logits = leaf(logits)
    t_loss = F.cross_entropy(t_logits, torch.from_numpy(labels))
    t_loss.backward()
    close(np.asarray(value), t_loss)
    close(grad, t_logits.grad)


CONV_CASES = [  # (C_in, C_out, kernel, stride, padding, H, W)
    (1, 3, (3, 3), 1, 0, 7, 7),
    (2, 4, (2, 3), 2, 1, 8, 9),
    (3, 2, (5, 1), 1, 2, 6, 5),
    (2, 3, (3, 2), 3, 1, 10, 7),
]


@pytest.mark.parametrize("case", CONV_CASES, ids=str)
def test_conv2d_with_stride_padding_and_oblong_kernels_matches_autograd(
    case: tuple,
) -> None:
    c_in, c_out, kernel, stride, padding, h, w = case
    rng = np.random.default_rng(sum(kernel) + stride)
    conv = Conv2D(c_in, c_out, kernel, stride=stride, padding=padding, rng=1)
    as_float64(conv.W, conv.b)
    conv.b.value = rng.standard_normal(c_out)
    x = rng.standard_normal((3, c_in, h, w))

    out = conv.forward(x)
    g = rng.standard_normal(out.shape)
    dx = conv.backward(g)

    tx, tw, tb = leaf(x), leaf(conv.W.value), leaf(conv.b.value)
    t_out = F.conv2d(tx, tw, tb, stride=stride, padding=padding)
    t_out.backward(torch.from_numpy(g))
    close(out, t_out)
    close(dx, tx.grad)
    close(conv.W.grad, tw.grad)
    close(conv.b.grad, tb.grad)


@pytest.mark.parametrize(("size", "stride"), [(2, 2), (3, 2), (3, 1), (2, 1)])
def test_max_pool_matches_autograd_including_overlapping_windows(
    size: int, stride: int,
) -> None:
    rng = np.random.default_rng(size * 10 + stride)
    x = rng.standard_normal((2, 3, 9, 8))       # distinct values: no ties
    pool = MaxPool2D(size, stride)

    out = pool.forward(x)
    g = rng.standard_normal(out.shape)
    dx = pool.backward(g)

    tx = leaf(x)
    t_out = F.max_pool2d(tx, size, stride)
    t_out.backward(torch.from_numpy(g))
    close(out, t_out)
    close(dx, tx.grad)


OPTIMIZERS = {
    "sgd": (lambda ps: SGD(ps, lr=0.1),
            lambda ts: torch.optim.SGD(ts, lr=0.1)),
    "sgd_decay": (lambda ps: SGD(ps, lr=0.1, weight_decay=0.01),
                  lambda ts: torch.optim.SGD(ts, lr=0.1, weight_decay=0.01)),
    "momentum": (lambda ps: SGD(ps, lr=0.05, momentum=0.9),
                 lambda ts: torch.optim.SGD(ts, lr=0.05, momentum=0.9)),
    "nesterov": (lambda ps: SGD(ps, lr=0.05, momentum=0.9, nesterov=True),
                 lambda ts: torch.optim.SGD(ts, lr=0.05, momentum=0.9,
                                            nesterov=True)),
    "adam": (lambda ps: Adam(ps, lr=1e-3, weight_decay=0.01),
             lambda ts: torch.optim.Adam(ts, lr=1e-3, weight_decay=0.01)),
    "fused_adam": (lambda ps: FusedAdam(ps, lr=1e-3, weight_decay=0.01),
                   lambda ts: torch.optim.Adam(ts, lr=1e-3, weight_decay=0.01)),
    "adamw": (lambda ps: AdamW(ps, lr=1e-3, weight_decay=0.05),
              lambda ts: torch.optim.AdamW(ts, lr=1e-3, weight_decay=0.05)),
}


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_optimizer_steps_match_torch_optim(name: str) -> None:
    """Three steps with fresh gradients each, so momentum and moments count."""
    rng = np.random.default_rng(len(name))
    values = [rng.standard_normal((4, 3)), rng.standard_normal(3)]
    params = [Parameter(v.copy()) for v in values]
    tensors = [torch.tensor(v, requires_grad=True) for v in values]
    make_ours, make_theirs = OPTIMIZERS[name]
    ours, theirs = make_ours(params), make_theirs(tensors)
    for _ in range(3):
        grads = [rng.standard_normal(v.shape) for v in values]
        ours.zero_grad()
        for p, g in zip(params, grads):
            p.grad = g.copy()
        ours.step()
        for t, g in zip(tensors, grads):
            t.grad = torch.from_numpy(g.copy())
        theirs.step()
        for p, t in zip(params, tensors):
            close(p.value, t)
