"""The Python half of the browser playground: its data and its reference.

The playground page (``book/playground``) trains a small MLP on 2-D toy data
in JavaScript. This module computes what the page needs from the package:
the data sets, from ``scratchnet.toy``, and, for every optimizer and
activation the page offers, a *reference trajectory*: a float64 network, a
fixed sequence of mini-batches, and the loss and every parameter after each
step, computed by scratchnet's own layers, loss and optimizers. The site's
browser test runs the page's JavaScript from the same start on the same
batches and requires the same numbers; float64 because JavaScript's numbers
are doubles.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from scratchnet.atomic import atomic_write_bytes
from scratchnet.layers import default_init
from scratchnet.losses import SoftmaxCrossEntropy
from scratchnet.model import Sequential, mlp
from scratchnet.optim import SGD, Adam, Optimizer
from scratchnet.toy import two_spirals, xor_blobs
from scratchnet.train import train_step

DATASETS: dict[str, tuple[str, Callable[..., tuple[np.ndarray, np.ndarray]]]] = {
    "spirals": ("Two spirals", two_spirals),
    "xor": ("XOR blobs", xor_blobs),
}
"""The page's data sets: name -> (label shown on the page, generator)."""
ACTIVATIONS = ("relu", "tanh", "sigmoid")
OPTIMIZERS: dict[str, dict[str, Any]] = {
    "sgd": {"lr": 0.1, "momentum": 0.9},
    "adam": {"lr": 0.01},
}
"""The page's optimizers with the settings their reference runs use."""


def split(name: str, n_train: int = 400, n_test: int = 200, seed: int = 0
          ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The data set ``name`` as the page has it: ``x_train, y_train, x_test, y_test``.

    One draw of ``n_train + n_test`` points, split in two (the rows are
    already shuffled); ``x`` float64 ``(n, 2)``, holding toy's float32 values
    exactly, and ``y`` int64 ``(n,)``.
    """
    if name not in DATASETS:
        raise ValueError(f"data set must be one of {sorted(DATASETS)}, got {name!r}")
    x, y = DATASETS[name][1](n_train + n_test, seed=seed)
    x = x.astype(np.float64)
    return x[:n_train], y[:n_train], x[n_train:], y[n_train:]


def datasets(n_train: int = 400, n_test: int = 200,
             seed: int = 0) -> dict[str, Any]:
    """Every data set of ``split``, as JSON-able lists for the page.

    float64 numbers that are float32 values exactly reach the browser
    through JSON without rounding.
    """
    out: dict[str, Any] = {}
    for name, (label, _) in DATASETS.items():
        x_tr, y_tr, x_te, y_te = split(name, n_train, n_test, seed)
        out[name] = {
            "label": label,
            "train": {"x": x_tr.tolist(), "y": y_tr.tolist()},
            "test": {"x": x_te.tolist(), "y": y_te.tolist()},
        }
    return out


def make_optimizer(name: str, model: Sequential, **settings: Any) -> Optimizer:
    """The page's optimizer ``name`` ("sgd" or "adam") for ``model``'s parameters."""
    if name == "sgd":
        return SGD(model.parameters(), **settings)
    if name == "adam":
        return Adam(model.parameters(), **settings)
    raise ValueError(f"optimizer must be one of {sorted(OPTIMIZERS)}, got {name!r}")


def trajectory(optimizer: str, activation: str, *, hidden: tuple[int, ...] = (6, 5),
               steps: int = 100, batch_size: int = 16, seed: int = 0) -> dict[str, Any]:
    """A float64 reference run: start, batches, and the state after every step.

    The network is ``mlp([2, *hidden, 2], activation, seed=seed)`` in
    float64; the batches are ``steps`` random draws of ``batch_size`` rows of
    ``two_spirals``. Returns a JSON-able dict: the settings, ``"initial"``
    (the parameters, each a flat list in row-major order, in
    ``model.parameters()`` order), ``"batches"`` (their ``x`` and ``y``),
    ``"loss"`` (one number per step) and ``"params"`` (one list of flat
    parameters per step, after that step's update).
    """
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {ACTIVATIONS}, got {activation!r}")
    settings = OPTIMIZERS.get(optimizer)
    if settings is None:
        raise ValueError(f"optimizer must be one of {sorted(OPTIMIZERS)}, "
                         f"got {optimizer!r}")
    x, y = two_spirals(200, seed=seed)
    x = x.astype(np.float64)
    sizes = [2, *hidden, 2]
    model = mlp(sizes, activation, seed=seed, dtype=np.float64)
    opt = make_optimizer(optimizer, model, **settings)
    loss = SoftmaxCrossEntropy()
    rng = np.random.default_rng(seed + 1)
    batches = [rng.choice(len(x), batch_size, replace=False) for _ in range(steps)]

    def flat() -> list[list[float]]:
        return [p.value.ravel().tolist() for p in model.parameters()]

    initial, losses, params = flat(), [], []
    for idx in batches:
        value, _ = train_step(model, loss, opt, x[idx], y[idx])
        losses.append(value)
        params.append(flat())
    return {
        "optimizer": optimizer, "settings": settings, "activation": activation,
        "sizes": sizes, "init": default_init(activation),
        "initial": initial,
        "batches": [{"x": x[idx].tolist(), "y": y[idx].tolist()} for idx in batches],
        "loss": losses, "params": params,
    }


def trajectories(**kwargs: Any) -> list[dict[str, Any]]:
    """``trajectory`` for every optimizer and activation of the page."""
    return [trajectory(opt, act, **kwargs)
            for opt in OPTIMIZERS for act in ACTIVATIONS]


DATA_GLOBAL = "scratchnetPlaygroundData"
"""The page reads its data from this global, set by ``data.js``."""


def write_site_files(target: str | os.PathLike[str]) -> list[Path]:
    """Write the page's ``data.js`` and ``trajectories.json`` into ``target``.

    The data is a script, not JSON, so the page works when opened from disk
    (``file://``), where a browser refuses to ``fetch`` a JSON file.
    """
    target = Path(target)
    doc = json.dumps({"datasets": datasets()}, separators=(",", ":"),
                     allow_nan=False)
    script = (f"// The playground's data, from scratchnet.toy; written by the "
              f"book's build.\nwindow.{DATA_GLOBAL} = {doc};\n")
    refs = json.dumps({"trajectories": trajectories()}, separators=(",", ":"),
                      allow_nan=False)
    return [atomic_write_bytes(target / "data.js", script.encode("utf-8")),
            atomic_write_bytes(target / "trajectories.json", refs.encode("utf-8"))]
