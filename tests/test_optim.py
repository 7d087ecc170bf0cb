"""Optimizers: each update against its closed form, in place and in float32."""

from __future__ import annotations

import math

import numpy as np
import pytest

from scratchnet.optim import (
    FLUSH_BELOW,
    SCHEDULES,
    SGD,
    Adam,
    AdamW,
    FusedAdam,
    cosine_decay,
    flush_tiny,
    linear_warmup,
    step_decay,
    warmup,
)
from scratchnet.parameter import Parameter

W0 = np.array([[1.0, -2.0], [0.5, 3.0]], np.float32)
G1 = np.array([[0.1, -0.4], [2.0, 0.0]], np.float32)
G2 = np.array([[-0.3, 0.2], [1.0, 0.5]], np.float32)


def _param(value=W0) -> Parameter:
    return Parameter(value.copy(), "W")


def _steps(opt, p, grads):
    """Run one optimizer step per gradient, as ``fit`` would."""
    for g in grads:
        opt.zero_grad()
        p.grad += g
        opt.step()
    return p.value


def test_sgd_step_is_w_minus_lr_g():
    p = _param()
    np.testing.assert_allclose(_steps(SGD([p], lr=0.1), p, [G1]), W0 - 0.1 * G1,
                               rtol=1e-6)


def test_momentum_accumulates_a_velocity():
    p, lr, mu = _param(), 0.1, 0.9
    v1 = G1
    v2 = mu * v1 + G2
    expected = W0 - lr * v1 - lr * v2
    np.testing.assert_allclose(_steps(SGD([p], lr, momentum=mu), p, [G1, G2]),
                               expected, rtol=1e-6)


def test_nesterov_steps_along_the_gradient_plus_the_new_velocity():
    p, lr, mu = _param(), 0.1, 0.9
    v1 = G1
    v2 = mu * v1 + G2
    expected = W0 - lr * (G1 + mu * v1) - lr * (G2 + mu * v2)
    opt = SGD([p], lr, momentum=mu, nesterov=True)
    np.testing.assert_allclose(_steps(opt, p, [G1, G2]), expected, rtol=1e-6)


@pytest.mark.parametrize("make", [
    lambda ps: SGD(ps, lr=0.05, momentum=0.9),
    lambda ps: SGD(ps, lr=0.05, momentum=0.9, nesterov=True),
    lambda ps: Adam(ps, lr=1e-3), lambda ps: FusedAdam(ps, lr=1e-3),
    lambda ps: AdamW(ps, lr=1e-3),
], ids=["momentum", "nesterov", "adam", "fused-adam", "adamw"])
def test_optimizer_state_never_decays_into_slow_subnormal_floats(make):
    # One real gradient, then 2,000 zero ones, as for a pixel that is blank
    # in every later batch: the state decays geometrically, past 1e-38
    # after about 800 steps with momentum 0.9, unless it is flushed first.
    p = _param()
    opt = make([p])
    state = opt.velocity if isinstance(opt, SGD) else opt.m
    _steps(opt, p, [G1])
    tiny = np.finfo(np.float32).tiny
    for step in range(2000):
        _steps(opt, p, [np.zeros_like(G1)])
        for s in state:
            subnormal = (s != 0) & (np.abs(s) < tiny)
            assert not subnormal.any(), f"step {step}: {s}"
    assert all(np.all(s == 0) for s in state)     # flushed, not stuck
    assert np.all(np.isfinite(p.value))


def test_flush_tiny_zeroes_only_what_is_below_the_bound():
    a = np.array([1e-3, -1e-20, FLUSH_BELOW / 2, -FLUSH_BELOW / 3, 1e-40, 0.0],
                 np.float32)
    flush_tiny([a])
    np.testing.assert_array_equal(a, np.array([1e-3, -1e-20, 0, 0, 0, 0],
                                              np.float32))


def test_weight_decay_adds_decay_times_w_to_the_gradient():
    p = _param()
    opt = SGD([p], lr=0.1, weight_decay=0.01)
    np.testing.assert_allclose(_steps(opt, p, [G1]), W0 - 0.1 * (G1 + 0.01 * W0),
                               rtol=1e-6)


def test_adam_first_step_moves_each_weight_by_about_lr():
    p, lr = _param(), 0.01
    expected = W0 - lr * G1 / (np.abs(G1) + 1e-8)     # m_hat = g, v_hat = g**2
    np.testing.assert_allclose(_steps(Adam([p], lr=lr), p, [G1]), expected,
                               rtol=1e-6)


def test_adam_matches_the_textbook_algorithm_over_several_steps():
    p, lr, (b1, b2), eps, wd = _param(), 0.01, (0.8, 0.99), 1e-3, 0.1
    grads = [G1, G2, G1 * 3, -G2]
    w, m, v = W0.astype(np.float64), 0.0, 0.0
    for t, g in enumerate(grads, start=1):
        g = g + wd * w
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g**2
        m_hat, v_hat = m / (1 - b1**t), v / (1 - b2**t)
        w = w - lr * m_hat / (np.sqrt(v_hat) + eps)
    opt = Adam([p], lr=lr, betas=(b1, b2), eps=eps, weight_decay=wd)
    np.testing.assert_allclose(_steps(opt, p, grads), w, rtol=1e-5)


@pytest.mark.parametrize("make", [
    lambda ps: SGD(ps, lr=0.1), lambda ps: SGD(ps, 0.1, momentum=0.9, nesterov=True),
    lambda ps: Adam(ps, weight_decay=0.01),
], ids=["sgd", "nesterov", "adam"])
def test_updates_are_in_place_and_stay_float32(make):
    p = _param()
    value, opt = p.value, make([p])
    _steps(opt, p, [G1, G2])
    assert p.value is value and p.value.dtype == np.float32
    state = [a for name in ("velocity", "m", "v") for a in getattr(opt, name, [])]
    assert all(a.dtype == np.float32 for a in state)


@pytest.mark.parametrize("make", [
    lambda ps: SGD(ps, lr=0.1), lambda ps: SGD(ps, 0.05, momentum=0.9),
    lambda ps: Adam(ps, lr=0.05),
], ids=["sgd", "momentum", "adam"])
def test_each_optimizer_minimises_a_quadratic(make):
    target = np.array([3.0, -1.0, 0.5], np.float32)
    p = Parameter(np.zeros(3, np.float32), "w")
    opt = make([p])
    for _ in range(300):
        opt.zero_grad()
        p.grad += 2 * (p.value - target)               # d/dw ||w - target||^2
        opt.step()
    np.testing.assert_allclose(p.value, target, atol=1e-2)


def test_zero_grad_clears_in_place():
    p = _param()
    grad = p.grad
    p.grad += 1
    SGD([p], lr=0.1).zero_grad()
    assert p.grad is grad and not p.grad.any()


@pytest.mark.parametrize("make, message", [
    (lambda p: SGD([p], lr=0), "learning rate"),
    (lambda p: SGD([p], lr=math.nan), "learning rate"),
    (lambda p: SGD([p], lr=0.1, momentum=1.0), "momentum"),
    (lambda p: SGD([p], lr=0.1, nesterov=True), "nesterov=True needs momentum"),
    (lambda p: SGD([p], lr=0.1, weight_decay=-1), "weight_decay"),
    (lambda p: Adam([p], betas=(0.9, 1.0)), "betas"),
    (lambda p: Adam([]), "empty list"),
])
def test_bad_settings_are_refused(make, message):
    with pytest.raises(ValueError, match=message):
        make(_param())


def test_cosine_decay_falls_from_one_to_zero():
    assert cosine_decay(0, 100) == 1.0
    assert cosine_decay(50, 100) == pytest.approx(0.5)
    assert cosine_decay(100, 100) == pytest.approx(0.0)
    assert cosine_decay(150, 100) == pytest.approx(0.0)


def test_reprs_show_the_settings():
    p = _param()
    assert repr(SGD([p], 0.1, momentum=0.9)) == \
        "SGD(lr=0.1, momentum=0.9; 4 parameters)"
    assert repr(Adam([p])).startswith("Adam(lr=0.001, betas=(0.9, 0.999)")


# --- AdamW and the schedules -------------------------------------------------

def test_adamw_shrinks_the_weights_then_takes_a_plain_adam_step():
    p, lr, (b1, b2), eps, wd = _param(), 0.01, (0.9, 0.999), 1e-8, 0.5
    grads = [G1, G2]
    w, m, v = W0.astype(np.float64), 0.0, 0.0
    for t, g in enumerate(grads, start=1):
        w = w - lr * wd * w                 # decoupled: not part of g
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g**2
        w = w - lr * (m / (1 - b1**t)) / (np.sqrt(v / (1 - b2**t)) + eps)
    opt = AdamW([p], lr=lr, betas=(b1, b2), eps=eps, weight_decay=wd)
    np.testing.assert_allclose(_steps(opt, p, grads), w, rtol=1e-5)


def test_adamw_decay_differs_from_adams_l2_penalty():
    a, b = _param(), _param()
    _steps(AdamW([a], lr=0.01, weight_decay=0.5), a, [G1])
    _steps(Adam([b], lr=0.01, weight_decay=0.5), b, [G1])
    assert not np.allclose(a.value, b.value)


def test_adamw_with_zero_decay_is_adam():
    a, b = _param(), _param()
    np.testing.assert_array_equal(
        _steps(AdamW([a], lr=0.01, weight_decay=0.0), a, [G1, G2]),
        _steps(Adam([b], lr=0.01), b, [G1, G2]))
    assert "weight_decay" in repr(AdamW([_param()], weight_decay=0.1))


def test_nesterov_first_step_is_w_minus_lr_times_one_plus_mu_times_g():
    p, lr, mu = _param(), 0.1, 0.9
    opt = SGD([p], lr, momentum=mu, nesterov=True)
    np.testing.assert_allclose(_steps(opt, p, [G1]), W0 - lr * (1 + mu) * G1,
                               rtol=1e-6)


def test_step_decay_drops_by_gamma_at_half_and_three_quarters():
    assert [step_decay(s, 100) for s in (0, 49, 50, 74, 75, 99)] == pytest.approx(
        [1.0, 1.0, 0.1, 0.1, 0.01, 0.01])
    assert step_decay(30, 100, milestones=(0.3,), gamma=0.5) == 0.5


def test_cosine_is_one_half_zero_at_start_middle_end():
    assert [cosine_decay(s, 100) for s in (0, 50, 100)] == pytest.approx(
        [1.0, 0.5, 0.0], abs=1e-12)


def test_linear_warmup_rises_to_one_then_stays():
    assert [linear_warmup(s, 100, 4) for s in (0, 1, 3, 50)] == pytest.approx(
        [0.25, 0.5, 1.0, 1.0])
    assert linear_warmup(0, 100, 0) == 1.0


def test_warmup_then_cosine_rises_then_follows_cosine_over_the_rest():
    f = warmup("cosine", fraction=0.1)           # 10 warm-up steps of 100
    assert f(0, 100) == pytest.approx(0.1)
    assert f(9, 100) == pytest.approx(1.0)
    assert f(10, 100) == pytest.approx(1.0)      # cosine's step 0
    assert f(10 + 45, 100) == pytest.approx(0.5)  # half of the remaining 90
    assert f(100, 100) == pytest.approx(0.0, abs=1e-12)
    assert SCHEDULES["warmup_cosine"](0, 100) == pytest.approx(1 / 5)
    with pytest.raises(ValueError, match="fraction"):
        warmup("cosine", fraction=1.0)


def test_a_reader_s_own_optimizer_subclass_trains_with_fit():
    """``Optimizer`` is the extension point: subclass it, write ``step``."""
    from scratchnet.model import mlp
    from scratchnet.optim import Optimizer
    from scratchnet.train import FitConfig, fit

    class SignSGD(Optimizer):
        def step(self) -> None:
            for p in self.params:
                p.value -= self.lr * np.sign(p.grad)

    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, (256, 2)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.int64)
    model = mlp([2, 8, 2], seed=0)
    history = fit(model, SignSGD(model.parameters(), lr=0.01), x, y,
                  FitConfig(epochs=5, batch_size=32, lr_schedule="constant"))
    assert history.train_loss[-1] < history.train_loss[0]
    assert "SignSGD(lr=0.01;" in repr(SignSGD(model.parameters(), lr=0.01))
    with pytest.raises(NotImplementedError):
        Optimizer(model.parameters(), lr=0.1).step()
