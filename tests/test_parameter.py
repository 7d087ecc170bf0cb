"""``Parameter``: gradients accumulate, and ``zero_grad`` really zeroes them."""

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


def test_add_matmul_accumulates_like_plus_equals():
    p = Parameter(np.zeros((3, 4), np.float32))
    p.add_matmul(A.T, B)
    p.add_matmul(A.T, B)
    np.testing.assert_allclose(p.grad, 2 * A.T @ B, rtol=1e-6)


def test_zero_grad_forgets_everything_before_it():
    p = Parameter(np.zeros((3, 4), np.float32))
    p.add_matmul(A.T, B)
    p.zero_grad()
    assert not p.grad.any()                     # read right after: zeros
    p.add_matmul(A.T, B)
    p.zero_grad()
    p.add_matmul(A.T, 2 * B)                    # written over, not added
    np.testing.assert_allclose(p.grad, 2 * A.T @ B, rtol=1e-6)
    p.zero_grad()
    p.grad += 1                                 # in-place use after zero_grad
    np.testing.assert_array_equal(p.grad, np.ones((3, 4), np.float32))


def test_the_gradient_array_is_reused_not_replaced():
    p = Parameter(np.zeros((3, 4), np.float32))
    grad = p.grad
    for _ in range(3):
        p.zero_grad()
        p.add_matmul(A.T, B)
    assert p.grad is grad


def test_add_sum_accumulates_row_sums_and_writes_over_a_stale_gradient():
    p = Parameter(np.zeros(4, np.float32))
    p.add_sum(B)
    p.add_sum(B)
    np.testing.assert_allclose(p.grad, 2 * B.sum(axis=0), rtol=1e-6)
    grad = p.grad
    p.zero_grad()
    p.add_sum(3 * B)                            # written over, not added
    np.testing.assert_allclose(p.grad, 3 * B.sum(axis=0), rtol=1e-6)
    assert p.grad is grad
