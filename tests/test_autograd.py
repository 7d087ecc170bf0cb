"""The autograd engine: every operation against PyTorch and finite differences,
and the whole MNIST network against the hand-written backward passes.

The PyTorch tests run whenever torch is installed; under
``SCRATCHNET_REQUIRE_TORCH=1`` (``.ci/run``) a missing torch fails them
instead of skipping, as in ``test_torch_oracle.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from scratchnet import gradcheck
from scratchnet.autograd import Tensor, cross_entropy, trace, train_step
from scratchnet.losses import SoftmaxCrossEntropy
from scratchnet.model import mlp
from scratchnet.optim import Adam
from scratchnet.presets import DEFAULTS
from scratchnet.train import train_step as hand_train_step

LABELS = np.array([2, 0, 3, 3, 1])


# Each case: input shapes, the engine's computation, PyTorch's, and whether
# the inputs must be positive (for log). Both sides take their inputs in order.
CASES: dict[str, tuple[list[tuple[int, ...]], Callable[..., Any],
                       Callable[..., Any], bool]] = {
    "add": ([(5, 4), (5, 4)], lambda a, b: a + b, lambda a, b: a + b, False),
    "add_row": ([(5, 4), (4,)], lambda a, b: a + b, lambda a, b: a + b, False),
    "add_column": ([(5, 1), (1, 4)], lambda a, b: a + b, lambda a, b: a + b, False),
    "add_constant": ([(5, 4)], lambda a: 2.5 + a, lambda a: 2.5 + a, False),
    "mul": ([(5, 4), (5, 4)], lambda a, b: a * b, lambda a, b: a * b, False),
    "mul_broadcast": ([(3, 5, 4), (5, 1)], lambda a, b: a * b,
                      lambda a, b: a * b, False),
    "sub": ([(5, 4), (4,)], lambda a, b: a - b, lambda a, b: a - b, False),
    "rsub_neg": ([(5, 4)], lambda a: 1.0 - (-a), lambda a: 1.0 - (-a), False),
    "matmul": ([(5, 3), (3, 4)], lambda a, b: a @ b, lambda a, b: a @ b, False),
    "matmul_stacks": ([(2, 3, 5, 4), (2, 3, 4, 2)], lambda a, b: a @ b,
                      lambda a, b: a @ b, False),
    "matmul_shared": ([(3, 5, 4), (4, 2)], lambda a, b: a @ b,
                      lambda a, b: a @ b, False),
    "relu": ([(5, 4)], lambda a: a.relu(), lambda a: a.relu(), False),
    "tanh": ([(5, 4)], lambda a: a.tanh(), lambda a: a.tanh(), False),
    "sigmoid": ([(5, 4)], lambda a: a.sigmoid(), lambda a: a.sigmoid(), False),
    "exp": ([(5, 4)], lambda a: a.exp(), lambda a: a.exp(), False),
    "log": ([(5, 4)], lambda a: a.log(), lambda a: a.log(), True),
    "sum_all": ([(5, 4)], lambda a: a.sum(), lambda a: a.sum(), False),
    "sum_rows": ([(5, 4)], lambda a: a.sum(axis=0), lambda a: a.sum(dim=0), False),
    "sum_keepdims": ([(5, 4)], lambda a: a.sum(axis=-1, keepdims=True),
                     lambda a: a.sum(dim=-1, keepdim=True), False),
    "sum_two_axes": ([(3, 5, 4)], lambda a: a.sum(axis=(0, 2)),
                     lambda a: a.sum(dim=(0, 2)), False),
    "mean_all": ([(5, 4)], lambda a: a.mean(), lambda a: a.mean(), False),
    "mean_axis": ([(3, 5, 4)], lambda a: a.mean(axis=1),
                  lambda a: a.mean(dim=1), False),
    "mean_keepdims": ([(3, 5, 4)], lambda a: a.mean(axis=(1, 2), keepdims=True),
                      lambda a: a.mean(dim=(1, 2), keepdim=True), False),
    "reshape": ([(5, 4)], lambda a: a.reshape(2, 10), lambda a: a.reshape(2, 10),
                False),
    "transpose": ([(5, 4)], lambda a: a.T, lambda a: a.T, False),
    "transpose_axes": ([(3, 5, 4)], lambda a: a.transpose(2, 0, 1),
                       lambda a: a.permute(2, 0, 1), False),
    "log_softmax": ([(5, 4)], lambda a: a.log_softmax(),
                    lambda a: a.log_softmax(dim=-1), False),
    "cross_entropy": ([(5, 4)], lambda a: cross_entropy(a, LABELS),
                      lambda a: _torch_cross_entropy(a), False),
    "used_twice": ([(5, 4)], lambda a: a * a.tanh() + a, lambda a: a * a.tanh() + a,
                   False),
}


def _torch_cross_entropy(a: Any) -> Any:
    import torch
    return torch.nn.functional.cross_entropy(a, torch.from_numpy(LABELS))


def _inputs(name: str, seed: int) -> list[np.ndarray]:
    shapes, _, _, positive = CASES[name]
    rng = np.random.default_rng(seed)
    arrays = [rng.standard_normal(shape) for shape in shapes]
    return [np.abs(a) + 0.5 if positive else a for a in arrays]


def _engine(name: str, arrays: list[np.ndarray], weights: np.ndarray | None = None
            ) -> tuple[np.ndarray, list[np.ndarray]]:
    """The value of the case and the gradients of ``sum(weights * value)``."""
    leaves = [Tensor(a, requires_grad=True) for a in arrays]
    out = CASES[name][1](*leaves)
    c = np.ones(out.shape) if weights is None else weights
    (out * c).sum().backward()
    return out.data, [t.grad for t in leaves]


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("name", CASES)
def test_every_operation_matches_torch_autograd_in_float64(
        torch: Any, name: str, seed: int) -> None:
    arrays = _inputs(name, seed)
    leaves = [torch.tensor(a, requires_grad=True) for a in arrays]
    t_out = CASES[name][2](*leaves)
    c = np.random.default_rng(seed + 100).standard_normal(tuple(t_out.shape))
    (t_out * torch.from_numpy(c)).sum().backward()

    value, grads = _engine(name, arrays, c)
    np.testing.assert_allclose(value, t_out.detach().numpy(), rtol=1e-12, atol=1e-14)
    for ours, leaf in zip(grads, leaves):
        np.testing.assert_allclose(ours, leaf.grad.numpy(), rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize("name", CASES)
def test_every_operation_matches_finite_differences(name: str) -> None:
    arrays = _inputs(name, seed=7)
    c = np.random.default_rng(8).standard_normal(_engine(name, arrays)[0].shape)
    _, grads = _engine(name, arrays, c)
    for i, grad in enumerate(grads):
        def objective(x: np.ndarray, i: int = i) -> float:
            ins = [x if j == i else a for j, a in enumerate(arrays)]
            return float(np.sum(c * CASES[name][1](*map(Tensor, ins)).data))
        numeric = gradcheck.numerical_gradient(objective, arrays[i].copy())
        assert gradcheck.relative_error(grad, numeric) < 1e-7, (name, i)


def test_a_tensor_used_twice_collects_both_gradients() -> None:
    x = Tensor(np.array(3.0), requires_grad=True)
    (x * x + x).backward()               # d/dx (x^2 + x) = 2x + 1
    assert x.grad == 7.0


def test_constants_get_no_gradient_and_backward_needs_a_scalar() -> None:
    w = Tensor(np.ones((2, 3)), requires_grad=True)
    x = Tensor(np.arange(4.0).reshape(2, 2))
    out = x @ w
    assert out.requires_grad and not x.requires_grad
    out.sum().backward()
    assert not x.grad.any() and w.grad.any()
    with pytest.raises(ValueError, match="scalar"):
        out.backward()


def _batch(n: int, seed: int, dtype: type) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.random((n, 784)).astype(dtype), rng.integers(0, 10, n)


def _hand_written_gradients(model: Any, x: np.ndarray, y: np.ndarray
                            ) -> dict[str, np.ndarray]:
    loss = SoftmaxCrossEntropy()
    model.zero_grad()
    loss.forward(model.forward(x), y)
    model.backward(loss.backward(), input_grad=False)
    return {name: p.grad.copy() for name, p in model.named_parameters()}


def test_loss_backward_equals_every_hand_written_layer_on_the_mnist_mlp() -> None:
    """float64: the book's network, both ways, within 1e-12."""
    model = mlp([784, *DEFAULTS.hidden, 10], seed=0, dtype=np.float64)
    x, y = _batch(64, 0, np.float64)
    hand = _hand_written_gradients(model, x, y)
    logits, leaves = trace(model, x)
    cross_entropy(logits, y).backward()
    assert set(leaves) == set(hand)
    for name, grad in hand.items():
        assert gradcheck.relative_error(leaves[name].grad, grad) <= 1e-12, name


def test_float32_gradients_are_bit_for_bit_those_of_the_layers() -> None:
    """The engine does the very arithmetic of the layers, in the same order."""
    model = DEFAULTS.build_model()
    x, y = _batch(32, 1, np.float32)
    hand = _hand_written_gradients(model, x, y)
    logits, leaves = trace(model, x)
    cross_entropy(logits, y).backward()
    for name, grad in hand.items():
        assert leaves[name].grad.dtype == np.float32
        np.testing.assert_array_equal(leaves[name].grad, grad, err_msg=name)


def test_training_with_the_engine_gives_the_same_weights_as_the_layers() -> None:
    x, y = _batch(600, 2, np.float32)
    models = [mlp([784, 32, 10], seed=3) for _ in range(2)]
    opts = [Adam(m.parameters(), lr=1e-2) for m in models]
    loss = SoftmaxCrossEntropy()
    for start in range(0, len(x), 100):
        xb, yb = x[start:start + 100], y[start:start + 100]
        a, _ = hand_train_step(models[0], loss, opts[0], xb, yb)
        b = train_step(models[1], opts[1], xb, yb)
        assert a == pytest.approx(b, rel=1e-6)   # float64 vs float32 mean
    for p, q in zip(models[0].parameters(), models[1].parameters()):
        np.testing.assert_array_equal(p.value, q.value)


def test_trace_refuses_a_layer_it_does_not_know() -> None:
    model = mlp([4, 3, 2], dropout=0.5)
    with pytest.raises(ValueError, match="Dropout"):
        trace(model, np.zeros((1, 4), np.float32))
