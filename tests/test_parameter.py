"""``Parameter``: a plain ``grad`` array that accumulates until ``zero_grad``."""

from __future__ import annotations

import numpy as np

from scratchnet.parameter import Parameter

RNG = np.random.default_rng(0)
A = RNG.random((5, 3), dtype=np.float32)
B = RNG.random((5, 4), dtype=np.float32)


def test_a_new_parameter_has_a_zero_gradient_of_its_shape_and_dtype():
    p = Parameter(np.ones((3, 4), np.float32))
    assert p.grad.shape == (3, 4) and p.grad.dtype == np.float32
    assert not p.grad.any()


def test_gradients_accumulate_with_plus_equals():
    p = Parameter(np.zeros((3, 4), np.float32))
    p.grad += A.T @ B
    p.grad += A.T @ B
    np.testing.assert_allclose(p.grad, 2 * A.T @ B, rtol=1e-6)


def test_zero_grad_forgets_everything_before_it():
    p = Parameter(np.zeros((3, 4), np.float32))
    p.grad += A.T @ B
    p.zero_grad()
    assert not p.grad.any()
    p.grad += A.T @ (2 * B)
    np.testing.assert_allclose(p.grad, 2 * A.T @ B, rtol=1e-6)


def test_the_gradient_array_is_reused_not_replaced():
    p = Parameter(np.zeros((3, 4), np.float32))
    grad = p.grad
    for _ in range(3):
        p.zero_grad()
        p.grad += A.T @ B
    assert p.grad is grad


def test_reading_grad_has_no_side_effect():
    p = Parameter(np.zeros(4, np.float32))
    p.grad += B.sum(axis=0)
    p.zero_grad()
    p.grad[0] = 7.0                 # a plain array: what is written stays
    assert p.grad[0] == 7.0 and p.grad[0] == 7.0
