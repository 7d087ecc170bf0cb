"""One epoch of the same MLP three ways: scratchnet, bare NumPy, PyTorch.

All three train 784-256-128-10 ReLU with SGD (momentum 0.9), batch 128, on
the same shuffled order of the 60,000 training images, in float32, from the
same initial weights: those of ``scratchnet.model.mlp(MLP_SIZES, seed=0)``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from scratchnet.losses import SoftmaxCrossEntropy
from scratchnet.model import mlp
from scratchnet.optim import FLUSH_EVERY, SGD, flush_tiny
from scratchnet.train import train_epoch

from .common import BATCH, MLP_SIZES, torch_trainer

LR, MOMENTUM = 0.05, 0.9


def initial_weights() -> list[np.ndarray]:
    """``[W1, b1, W2, b2, W3, b3]``, fresh copies of scratchnet's initial weights."""
    return [p.value.copy() for p in mlp(MLP_SIZES, seed=0).parameters()]


def scratchnet_epoch(x: np.ndarray, y: np.ndarray, order: np.ndarray,
                     batch: int = BATCH) -> Callable[[], object]:
    model = mlp(MLP_SIZES, seed=0)
    optimizer = SGD(model.parameters(), lr=LR, momentum=MOMENTUM)
    loss = SoftmaxCrossEntropy()

    def epoch() -> tuple[float, float]:
        return train_epoch(model, loss, optimizer, x, y, order, batch_size=batch)

    epoch.model = model  # type: ignore[attr-defined]
    return epoch


BARE_LOOP = ("plain, as the package: new ReLU arrays, zero_grad, then "
             "grad += x.T @ g, w -= lr * v")
"""What ``bare_numpy_epoch`` does, as the record labels it: a record whose
label differs was measured against another loop."""


def bare_numpy_epoch(x: np.ndarray, y: np.ndarray, order: np.ndarray,
                     params: list[np.ndarray] | None = None
                     ) -> Callable[[], object]:
    """The same network as straight-line NumPy: no classes, the same arithmetic.

    Plain against plain: every step is the package's printed code written
    out, array for array. ``ReLU`` makes a new array forward and multiplies
    by the mask ``x > 0`` backward (no in-place activation, which a layer
    cannot do to its input); the loss works on a copy of the logits as
    ``SoftmaxCrossEntropy`` does; the gradients live in arrays zeroed
    before each batch (``Parameter.zero_grad``) and then accumulated with
    the textbook ``grad += x.T @ g`` and ``grad += g.sum(axis=0)`` of
    ``Linear.backward``, not with any fused form. It keeps the same books
    as ``train_epoch`` (the epoch's mean loss and accuracy, which ``fit``
    reports) and updates the weights with the same rule in the same NumPy
    expressions as ``SGD.step``, so the two loops do the
    same work and their ratio, ``overhead_vs_bare``, is the cost of the
    classes alone. ``params`` (``[W1, b1, W2, b2, W3, b3]``, updated in
    place) defaults to ``initial_weights()``.
    """
    params = initial_weights() if params is None else params
    velocity = [np.zeros_like(p) for p in params]
    grads = [np.zeros_like(p) for p in params]
    steps = 0

    def epoch() -> tuple[float, float]:
        nonlocal steps
        w1, b1, w2, b2, w3, b3 = params
        loss_sum, correct = 0.0, 0
        for start in range(0, len(order), BATCH):
            idx = order[start:start + BATCH]
            xb, yb = x.take(idx, axis=0), y.take(idx)
            rows = np.arange(len(idx))
            h1 = xb @ w1                   # Linear.forward: x @ W, += b
            h1 += b1
            a1 = np.maximum(h1, 0)         # ReLU.forward: a new array
            h2 = a1 @ w2
            h2 += b2
            a2 = np.maximum(h2, 0)
            z = a2 @ w3
            z += b3
            # SoftmaxCrossEntropy.forward and .backward, as the package
            # computes them: the logits stay intact for the accuracy.
            shifted = z - z.max(axis=1, keepdims=True)
            picked = shifted[rows, yb]
            exps = np.exp(shifted)
            total = exps.sum(axis=1, keepdims=True)
            probs = exps / total
            loss_sum += float(np.log(total).sum() - picked.sum())
            g3 = probs / len(idx)
            g3[rows, yb] -= 1 / len(idx)
            correct += int(np.count_nonzero(z.argmax(axis=1) == yb))
            g2 = (g3 @ w3.T) * (h2 > 0)    # Linear.backward, ReLU.backward
            g1 = (g2 @ w2.T) * (h1 > 0)
            gw1, gb1, gw2, gb2, gw3, gb3 = grads
            for g in grads:            # zero_grad, then the plain +=
                g.fill(0)
            gw1 += xb.T @ g1
            gb1 += g1.sum(axis=0)
            gw2 += a1.T @ g2
            gb2 += g2.sum(axis=0)
            gw3 += a2.T @ g3
            gb3 += g3.sum(axis=0)
            for p, v, g in zip(params, velocity, grads):
                v *= MOMENTUM          # v = mu v + g, w -= lr v: the
                v += g                 # book's eq-tr-momentum, the same
                p -= LR * v            # arrays as SGD.step
            steps += 1
            if steps % FLUSH_EVERY == 0:   # as SGD's zero_grad: no subnormals
                flush_tiny(velocity)
        return loss_sum / len(order), correct / len(order)

    return epoch


def products_epoch(x: np.ndarray, batch: int = BATCH,
                   matmul: Callable[[np.ndarray, np.ndarray], object] = np.matmul,
                   ) -> Callable[[], object]:
    """Only the eight matrix products of each step of an epoch, nothing else.

    The same shapes and the same FLOPs as a training epoch (on contiguous
    batches of real images and fixed activations), so the fraction of the
    peak it reaches is a ceiling for any MLP that calls the same BLAS at
    this batch size. ``matmul`` makes each product (the tests pass one that
    counts the FLOPs).
    """
    w1, _, w2, _, w3, _ = initial_weights()
    rng = np.random.default_rng(0)
    h1, g1 = (rng.random((batch, MLP_SIZES[1]), dtype=np.float32)
              for _ in range(2))
    h2, g2 = (rng.random((batch, MLP_SIZES[2]), dtype=np.float32)
              for _ in range(2))
    g3 = rng.random((batch, MLP_SIZES[3]), dtype=np.float32)

    def epoch() -> None:
        for start in range(0, len(x), batch):
            n = min(batch, len(x) - start)
            xb = x[start:start + n]
            matmul(xb, w1), matmul(h1[:n], w2), matmul(h2[:n], w3)  # forward
            matmul(h2[:n].T, g3[:n]), matmul(g3[:n], w3.T)           # layer 3
            matmul(h1[:n].T, g2[:n]), matmul(g2[:n], w2.T)           # layer 2
            matmul(xb.T, g1[:n])                                     # layer 1: dW

    return epoch


def torch_epoch(x: np.ndarray, y: np.ndarray, order: np.ndarray, threads: int,
                params: list[np.ndarray] | None = None
                ) -> Callable[[], object] | None:
    """The same network in PyTorch on the CPU, or None without torch.

    Starts from ``params`` (default ``initial_weights()``); the trained
    network is the returned function's ``model`` attribute.
    """
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    layers = []
    for i, (n_in, n_out) in enumerate(zip(MLP_SIZES[:-1], MLP_SIZES[1:])):
        layers.append(torch.nn.Linear(n_in, n_out))
        if i < len(MLP_SIZES) - 2:
            layers.append(torch.nn.ReLU())
    model = torch.nn.Sequential(*layers)
    optimizer = torch.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)
    batches = [order[s:s + BATCH] for s in range(0, len(order), BATCH)]
    return torch_trainer(model, optimizer, x, y, batches,
                         initial_weights() if params is None else params)
