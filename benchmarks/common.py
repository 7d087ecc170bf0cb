"""What every benchmark shares: the data, the thread limit, a fair timer."""

from __future__ import annotations

import itertools
import os
import platform
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np

from scratchnet import data

MLP_SIZES = (784, 256, 128, 10)
BATCH = 128


@dataclass(frozen=True)
class MNIST:
    x_train: np.ndarray  # (60000, 784) float32
    y_train: np.ndarray  # (60000,) int64
    x_test: np.ndarray   # (10000, 784) float32
    y_test: np.ndarray   # (10000,) int64


@cache
def mnist() -> MNIST:
    (x_tr, y_tr), (x_te, y_te) = data.load_mnist(progress=False)
    return MNIST(data.preprocess(x_tr), y_tr.astype(np.int64),
                 data.preprocess(x_te), y_te.astype(np.int64))


@dataclass(frozen=True)
class Turns:
    """Seconds of every run of each contender, round by round."""

    seconds: dict[str, list[float]]

    def best(self, name: str) -> float:
        """The fastest run: noise only ever adds time."""
        return min(self.seconds[name])

    def ratio(self, a: str, b: str) -> float:
        """Median over the rounds of ``a``'s time over ``b``'s.

        Within a round the two ran close together in time, so a slow
        spell of the machine slows both and cancels out of their ratio;
        the median drops the rounds where it did not. Dividing the two best times
        instead mixes runs from different spells.
        """
        return float(np.median(np.divide(self.seconds[a], self.seconds[b])))


def cycle(fns: list[Callable[[], object]]) -> Callable[[], object]:
    """One function that calls ``fns`` in turn, one per call, round and round."""
    calls = itertools.cycle(fns)
    return lambda: next(calls)()


def interleaved(contenders: dict[str, Callable[[], object]],
                repeats: int, seed: int = 0) -> Turns:
    """Run each contender ``repeats`` times, taking turns so load hits all
    alike.

    Each round takes them in a new shuffled order: whoever runs right
    after whom inherits warm or cold caches and busy threads, and a fixed
    order (even one that alternates) hands those advantages to the same
    contenders every round; we measured it tilting ratios by 10%.
    """
    times: dict[str, list[float]] = {name: [] for name in contenders}
    names = list(contenders)
    rng = np.random.default_rng(seed)
    for _ in range(repeats):
        for i in rng.permutation(len(names)):
            fn = contenders[names[i]]
            start = time.perf_counter()
            fn()
            times[names[i]].append(time.perf_counter() - start)
    return Turns(times)


def machine() -> dict[str, object]:
    """What the numbers were measured on, for the report."""
    info: dict[str, object] = {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "cpu": _cpu_name(),
        "cores": os.cpu_count(),
    }
    try:
        from threadpoolctl import threadpool_info

        blas = [p for p in threadpool_info() if p.get("user_api") == "blas"]
        if blas:
            info["blas"] = f"{blas[0]['internal_api']} {blas[0]['version']}"
            info["blas_threads"] = blas[0]["num_threads"]
    except ImportError:
        pass
    return info


def _cpu_name() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def mlp_matmul_flops(n_samples: int, sizes: tuple[int, ...] = MLP_SIZES) -> float:
    """Matrix-multiply FLOPs of one training epoch of an MLP.

    Forward and the weight gradients cost ``2 * n * in * out`` each per
    layer; the input gradient is skipped for the first layer, as in ``fit``.
    """
    pairs = list(zip(sizes[:-1], sizes[1:]))
    forward = sum(2 * n_samples * i * o for i, o in pairs)
    input_grads = sum(2 * n_samples * i * o for i, o in pairs[1:])
    return 2 * forward + input_grads


def scratchnet_trainer(model: Any, optimizer: Any, x: np.ndarray, y: np.ndarray,
                       batches: list[np.ndarray]) -> Callable[[], None]:
    """A function that trains a scratchnet ``model`` once over ``batches``,
    with ``train.train_step``; the model is the function's ``model`` attribute."""
    from scratchnet.losses import SoftmaxCrossEntropy
    from scratchnet.train import train_step

    loss = SoftmaxCrossEntropy()

    def run() -> None:
        model.train()
        for idx in batches:
            train_step(model, loss, optimizer, x.take(idx, axis=0), y.take(idx))

    run.model = model  # type: ignore[attr-defined]
    return run


def torch_trainer(model: Any, optimizer: Any, x: np.ndarray, y: np.ndarray,
                  batches: list[np.ndarray], weights: list[np.ndarray]
                  ) -> Callable[[], None]:
    """A function that trains a PyTorch ``model`` once over ``batches``.

    ``weights`` (``[W1, b1, W2, b2, ...]``, scratchnet's initial values) are
    copied into the model's ``Linear`` and ``Conv2d`` layers first, so both
    libraries start from the same point. The model is the function's
    ``model`` attribute.
    """
    import torch

    layers = [m for m in model.modules()
              if isinstance(m, (torch.nn.Linear, torch.nn.Conv2d))]
    with torch.no_grad():
        for layer, w, b in zip(layers, weights[::2], weights[1::2]):
            # Conv weights are (C_out, C_in, kh, kw) in both libraries;
            # PyTorch stores a Linear's W transposed.
            layer.weight.copy_(torch.from_numpy(w.T if w.ndim == 2 else w))
            layer.bias.copy_(torch.from_numpy(b))
    loss_fn = torch.nn.CrossEntropyLoss()
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    indices = [torch.from_numpy(idx) for idx in batches]

    def run() -> None:
        model.train()
        for idx in indices:
            optimizer.zero_grad(set_to_none=True)
            loss = loss_fn(model(xt.index_select(0, idx)), yt.index_select(0, idx))
            loss.backward()
            optimizer.step()

    run.model = model  # type: ignore[attr-defined]
    return run
