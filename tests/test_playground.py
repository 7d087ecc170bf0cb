"""scratchnet.playground: the data and the float64 reference of the browser page."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pytest

from scratchnet import playground
from scratchnet.losses import SoftmaxCrossEntropy
from scratchnet.model import mlp
from scratchnet.optim import SGD, Adam


def test_a_split_is_toys_data_in_float64_without_rounding():
    x_tr, y_tr, x_te, y_te = playground.split("spirals", 40, 20, seed=3)
    assert x_tr.shape == (40, 2) and x_te.shape == (20, 2)
    assert x_tr.dtype == np.float64 and y_tr.dtype == np.int64
    x, y = playground.DATASETS["spirals"][1](60, seed=3)
    np.testing.assert_array_equal(np.concatenate([x_tr, x_te]), x)
    np.testing.assert_array_equal(np.concatenate([y_tr, y_te]), y)
    assert np.array_equal(x_tr.astype(np.float32).astype(np.float64), x_tr)


def test_unknown_names_are_refused_with_the_known_ones():
    with pytest.raises(ValueError, match="spirals"):
        playground.split("moons")
    with pytest.raises(ValueError, match="adam"):
        playground.trajectory("rmsprop", "relu")
    with pytest.raises(ValueError, match="tanh"):
        playground.trajectory("sgd", "gelu")


def test_a_trajectory_is_float64_deterministic_and_moves():
    a = playground.trajectory("adam", "tanh", steps=5)
    b = playground.trajectory("adam", "tanh", steps=5)
    assert a == b
    assert len(a["loss"]) == len(a["params"]) == len(a["batches"]) == 5
    sizes = a["sizes"]
    shapes = [n for i, o in itertools.pairwise(sizes) for n in (i * o, o)]
    assert [len(p) for p in a["initial"]] == shapes
    assert a["params"][-1] != a["initial"]
    json.dumps(a, allow_nan=False)          # plain JSON numbers only


def test_each_recorded_loss_is_the_loss_before_that_steps_update():
    """The record's order: the loss of step k is computed with the
    parameters after step k - 1 (or the initial ones)."""
    run = playground.trajectory("sgd", "relu", steps=4)
    model = mlp(run["sizes"], "relu", dtype=np.float64)
    loss = SoftmaxCrossEntropy()
    for k, batch in enumerate(run["batches"]):
        before = run["initial"] if k == 0 else run["params"][k - 1]
        for p, flat in zip(model.parameters(), before):
            p.value[...] = np.reshape(flat, p.shape)
        value = loss.forward(model.forward(np.array(batch["x"])),
                             np.array(batch["y"]))
        assert value == pytest.approx(run["loss"][k], rel=1e-12)


def test_the_first_momentum_step_is_a_plain_gradient_step():
    """With zero velocity, v = g, so w1 = w0 - lr * g: the rule the page copies."""
    run = playground.trajectory("sgd", "sigmoid", steps=1)
    model = mlp(run["sizes"], "sigmoid", dtype=np.float64)
    loss = SoftmaxCrossEntropy()
    loss.forward(model.forward(np.array(run["batches"][0]["x"])),
                 np.array(run["batches"][0]["y"]))
    model.backward(loss.backward())
    lr = run["settings"]["lr"]
    for p, after in zip(model.parameters(), run["params"][0]):
        np.testing.assert_allclose(after, (p.value - lr * p.grad).ravel(),
                                   rtol=1e-13, atol=1e-15)


def test_trajectories_cover_every_optimizer_and_activation():
    runs = playground.trajectories(steps=2)
    assert {(r["optimizer"], r["activation"]) for r in runs} == {
        (o, a) for o in playground.OPTIMIZERS for a in playground.ACTIVATIONS}


def test_the_site_files_are_a_script_and_json(tmp_path):
    data_js, refs = playground.write_site_files(tmp_path)
    prefix = f"window.{playground.DATA_GLOBAL} = "
    line = next(ln for ln in data_js.read_text().splitlines()
                if ln.startswith(prefix))
    data = json.loads(line[len(prefix):].rstrip(";"))
    assert set(data["datasets"]) == set(playground.DATASETS)
    assert len(json.loads(refs.read_text())["trajectories"]) == 6


def test_the_page_offers_sgd_and_adam_and_nothing_else() -> None:
    model = mlp([2, 3, 2])
    assert type(playground.make_optimizer("sgd", model, lr=0.1, momentum=0.9)) is SGD
    assert type(playground.make_optimizer("adam", model, lr=0.01)) is Adam
    with pytest.raises(ValueError, match="optimizer must be one of"):
        playground.make_optimizer("rmsprop", model)
