"""Convolutions: ``Conv2D``, ``MaxPool2D``, ``Flatten`` and ``Reshape``.

Images are NCHW: ``(batch, channels, height, width)``. A convolution slides
a small kernel over the image; we never loop over positions in Python.
Instead *im2col* copies every ``kh x kw`` patch of the input into one row of
a matrix, so the whole convolution is one matrix product, and the backward
pass is two more products plus *col2im*, which adds the patch gradients back
onto the image with one strided slice per kernel offset (``kh * kw`` of
them, e.g. 25, never one per pixel).

Inside, images are stored ``(H, W, N, C)``: batch and channels last. Every
pixel position then holds the values of the whole batch in one contiguous
run of ``N * C`` floats, so the strided slices of col2im and max pooling
are long runs that NumPy works through at full speed, while the NCHW
arrays the layers hand out are views of that memory.

Readable first, but fast enough to train a 99% MNIST CNN in minutes on a CPU.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from typing import Any, cast

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from scratchnet.errors import check_whole
from scratchnet.layers import Layer, _check_float, init_weights, register
from scratchnet.parameter import Parameter


def _pair(value: int | Sequence[int], name: str) -> tuple[int, int]:
    """``3`` -> ``(3, 3)``; ``(3, 5)`` stays; anything else is an error."""
    pair = ((value, value) if isinstance(value, numbers.Integral)
            else tuple(cast(Sequence[int], value)))
    if len(pair) != 2:
        raise ValueError(f"{name} must be an int or a pair of ints, got {value!r}")
    return check_whole(name, pair[0], 0), check_whole(name, pair[1], 0)


def _check_images(x: np.ndarray, layer: Layer,
                  channels: int | None = None) -> None:
    """Refuse anything but a float ``(batch, channels, height, width)``."""
    _check_float(x, layer)
    if x.ndim != 4 or (channels is not None and x.shape[1] != channels):
        c = "channels" if channels is None else channels
        raise ValueError(f"{layer!r} expected images of shape (batch, {c}, "
                         f"height, width), got {x.shape}")


def output_size(size: int, kernel: int, stride: int,
                padding: int = 0) -> int:
    """Positions of a kernel along one axis: ``(n + 2p - k) // s + 1``."""
    return (size + 2 * padding - kernel) // stride + 1


def im2col(x: np.ndarray, kh: int, kw: int, stride: int = 1) -> np.ndarray:
    """Every ``kh x kw`` patch of ``x`` as one row of a matrix.

    ``x`` ``(H, W, N, C)`` (already padded) -> ``(Ho * Wo * N, kh * kw *
    C)``, rows ordered like the output pixels ``(i, j, n)``, columns like
    ``(u, v, c)``: kernel row, kernel column, channel.
    ``sliding_window_view`` makes the patches without copying; the final
    ``reshape`` is the one copy, each pixel landing in up to ``kh * kw``
    rows. Channels last keeps each patch's ``C`` values next to each other
    in memory, which makes that copy several times faster.
    """
    _, _, n, c = x.shape
    if c == 1:
        return _im2col_one_channel(x[..., 0], kh, kw, stride)
    windows = sliding_window_view(x, (kh, kw), axis=(0, 1))
    windows = windows[::stride, ::stride]           # (Ho, Wo, N, C, kh, kw)
    ho, wo = windows.shape[:2]
    rows = windows.transpose(0, 1, 2, 4, 5, 3)      # (Ho, Wo, N, kh, kw, C)
    return rows.reshape(ho * wo * n, kh * kw * c)


def _im2col_one_channel(x: np.ndarray, kh: int, kw: int,
                        stride: int) -> np.ndarray:
    """``im2col`` of ``(H, W, N)`` single-channel images, built transposed.

    With one channel a patch is ``kh * kw`` scattered floats, so the copy
    above would move tiny runs. Here row ``(u, v)`` of the transposed
    matrix is the whole batch shifted by that kernel offset, one long
    strided copy each, about four times faster. The transpose handed back
    is a view; matrix products accept it as it is.
    """
    h, w, n = x.shape
    ho, wo = output_size(h, kh, stride), output_size(w, kw, stride)
    cols_t = np.empty((kh, kw, ho, wo, n), dtype=x.dtype)
    for u in range(kh):
        for v in range(kw):
            cols_t[u, v] = x[u:u + stride * ho:stride,
                             v:v + stride * wo:stride]
    return cols_t.reshape(kh * kw, ho * wo * n).T


def col2im_matmul(g: np.ndarray, weights: np.ndarray,
                  shape: tuple[int, ...], stride: int = 1) -> np.ndarray:
    """``col2im(g @ W_mat)``: the input gradient, one kernel offset at a time.

    ``g`` is ``dL/dy`` as ``(Ho, Wo, N, C_out)``, ``weights`` is ``W``
    ``(C_out, C_in, kh, kw)`` and ``shape`` the padded input ``(H, W, N,
    C_in)``. The columns of ``dL/dcols = g W_mat`` that belong to kernel
    offset ``(u, v)`` are ``g @ W[:, :, u, v]``; col2im adds them onto the
    pixels that offset touched, ``x[s i + u, s j + v]``. Doing both for
    one offset at a time never stores the whole ``dL/dcols``.
    """
    ho, wo, n, c_out = g.shape
    kh, kw = weights.shape[2:]
    # (kh, kw, C_out, C_in), each W[:, :, u, v] a contiguous matrix for BLAS
    w_uv = np.ascontiguousarray(weights.transpose(2, 3, 0, 1))
    g_rows = g.reshape(-1, c_out)                   # 2-D: one BLAS call
    dx = np.zeros(shape, dtype=g.dtype)
    for u in range(kh):
        for v in range(kw):
            rows = slice(u, u + stride * ho, stride)
            cols = slice(v, v + stride * wo, stride)
            dx_uv = g_rows @ w_uv[u, v]             # (Ho Wo N, C_in)
            dx[rows, cols] += dx_uv.reshape(ho, wo, n, -1)
    return dx


@register
class Conv2D(Layer):
    """2-D convolution (cross-correlation, as in every deep-learning library).

    ``(N, C_in, H, W)`` -> ``(N, C_out, Ho, Wo)`` with
    ``Ho = (H + 2 padding - kh) // stride + 1``, and

        y[n, o, i, j] = b[o]
            + sum_{c,u,v} W[o, c, u, v] x[n, c, s i + u, s j + v]

    on the zero-padded input. ``W`` is ``(C_out, C_in, kh, kw)``, ``b`` is
    ``(C_out,)``; ``init`` ``"he"`` or ``"glorot"`` with fan-in
    ``C_in * kh * kw``, as if each patch were the input of a ``Linear``.
    """

    def __init__(self, in_channels: int, out_channels: int,
                 kernel_size: int | Sequence[int], *, stride: int = 1,
                 padding: int = 0, init: str = "he",
                 rng: np.random.Generator | int = 0) -> None:
        super().__init__()
        self.in_channels = check_whole("in_channels", in_channels)
        self.out_channels = check_whole("out_channels", out_channels)
        self.kernel_size = _pair(kernel_size, "kernel_size")
        if min(self.kernel_size) < 1:
            raise ValueError(f"kernel_size must be >= 1, got {kernel_size!r}")
        self.stride = check_whole("stride", stride)
        self.padding = check_whole("padding", padding, 0)
        self.init = init
        kh, kw = self.kernel_size
        fan_in, fan_out = in_channels * kh * kw, out_channels * kh * kw
        rng = np.random.default_rng(rng)
        shape = (self.out_channels, self.in_channels, kh, kw)
        self.W = Parameter(init_weights(fan_in, fan_out, init, rng, shape), "W")
        self.b = Parameter(np.zeros(self.out_channels, np.float32), "b")
        self._cols: np.ndarray | None = None
        self._x_shape: tuple[int, ...] | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        _check_images(x, self, self.in_channels)
        (kh, kw), s, p = self.kernel_size, self.stride, self.padding
        n, _, h, w = x.shape
        ho, wo = output_size(h, kh, s, p), output_size(w, kw, s, p)
        if ho < 1 or wo < 1:
            raise ValueError(f"{self!r}: input {h}x{w} is smaller than the "
                             f"kernel {kh}x{kw} (padding {p})")
        x = x.transpose(2, 3, 0, 1)          # (H, W, N, C), see the module
        if p:
            x = np.pad(x, ((p, p), (p, p), (0, 0), (0, 0)))
        self._x_shape = x.shape
        self._cols = im2col(x, kh, kw, s)            # (Ho Wo N, kh kw C)
        w_mat = self.W.value.transpose(2, 3, 1, 0)   # (kh, kw, C, C_out)
        out = self._cols @ w_mat.reshape(-1, self.out_channels)
        out += self.b.value                          # (Ho Wo N, C_out)
        # NCHW for the caller; in memory it stays (H, W, N, C), which is
        # what the next convolution's im2col wants.
        return out.reshape(ho, wo, n, -1).transpose(2, 3, 0, 1)

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        self.backward_parameters(grad_out)          # dL/dW and dL/db
        shape, s, p = self._saved(self._x_shape), self.stride, self.padding
        hp, wp = shape[:2]
        g = grad_out.transpose(2, 3, 0, 1)          # (Ho, Wo, N, C_out)
        dx = col2im_matmul(g, self.W.value, shape, s)   # dL/dx
        dx = dx[p:hp - p, p:wp - p] if p else dx
        return dx.transpose(2, 3, 0, 1)             # back to NCHW

    def backward_parameters(self, grad_out: np.ndarray) -> None:
        cols = self._saved(self._cols)              # (Ho Wo N, kh kw C)
        hp, wp, n, c = self._saved(self._x_shape)
        (kh, kw), s = self.kernel_size, self.stride
        ho, wo = output_size(hp, kh, s), output_size(wp, kw, s)
        self._check_grad(grad_out, (n, self.out_channels, ho, wo))
        g = grad_out.transpose(2, 3, 0, 1)          # (Ho, Wo, N, C_out)
        g_mat = g.reshape(-1, self.out_channels)    # (Ho Wo N, C_out)
        dw = cols.T @ g_mat                         # dL/dW = cols^T G
        self.W.grad += dw.reshape(kh, kw, c, -1).transpose(3, 2, 0, 1)
        self.b.grad += g_mat.sum(axis=0)            # b is in every pixel

    def parameters(self) -> list[Parameter]:
        return [self.W, self.b]

    def config(self) -> dict[str, Any]:
        return {"type": "Conv2D", "in_channels": self.in_channels,
                "out_channels": self.out_channels,
                "kernel_size": list(self.kernel_size), "stride": self.stride,
                "padding": self.padding, "init": self.init}

    @staticmethod
    def parameter_shapes(config: dict[str, Any]) -> dict[str, tuple[Any, ...]]:
        kh, kw = _pair(config["kernel_size"], "kernel_size")
        c_out = config["out_channels"]
        return {"W": (c_out, config["in_channels"], kh, kw), "b": (c_out,)}

    def __repr__(self) -> str:
        kh, kw = self.kernel_size
        extra = "".join(f", {k}={v!r}" for k, v, d in (
            ("stride", self.stride, 1), ("padding", self.padding, 0),
            ("init", self.init, "he")) if v != d)
        size = kh if kh == kw else (kh, kw)
        return (f"Conv2D({self.in_channels}, {self.out_channels}, "
                f"{size}{extra})")


@register
class MaxPool2D(Layer):
    """The largest value of each ``size x size`` window, ``stride`` apart.

    ``(N, C, H, W)`` -> ``(N, C, Ho, Wo)``, ``Ho = (H - size) // stride + 1``
    (rows and columns that fit no window are dropped). ``stride`` defaults to
    ``size``: windows that do not overlap. The gradient of a maximum is 1 for
    the winning entry and 0 for the others, so ``backward`` routes each
    output gradient to its window's maximum (the first one, on ties). Both
    passes loop over the ``size * size`` offsets inside a window, each a
    strided view of the whole batch, never over windows.
    """

    def __init__(self, size: int = 2, stride: int | None = None) -> None:
        super().__init__()
        stride = size if stride is None else stride
        self.size, self.stride = check_whole("size", size), check_whole("stride", stride)
        self._x: np.ndarray | None = None
        self._out: np.ndarray | None = None

    def _windows(self, shape: tuple[int, ...]
                 ) -> list[tuple[slice, slice]]:
        """For each offset ``(u, v)``: slices ``x[..., s i + u, s j + v]``.

        Entry ``(u, v)`` of every window at once, one strided view per offset.
        """
        k, s = self.size, self.stride
        ho, wo = shape[2:]
        return [(slice(u, u + s * ho, s), slice(v, v + s * wo, s))
                for u in range(k) for v in range(k)]

    def forward(self, x: np.ndarray) -> np.ndarray:
        _check_images(x, self)
        k, s = self.size, self.stride
        n, c, h, w = x.shape
        if min(h, w) < k:
            raise ValueError(f"{self!r}: input {h}x{w} is smaller than the "
                             f"{k}x{k} window")
        out_shape = (n, c, output_size(h, k, s), output_size(w, k, s))
        (rows, cols), *others = self._windows(out_shape)
        out = x[:, :, rows, cols]
        for rows, cols in others:
            out = np.maximum(out, x[:, :, rows, cols])
        self._x, self._out = x, out
        return out

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        x, out = self._saved(self._x), self._saved(self._out)
        self._check_grad(grad_out, out.shape)
        dx = np.zeros_like(x)
        taken = np.zeros_like(out, dtype=bool)    # window has its winner
        for rows, cols in self._windows(out.shape):
            wins = (x[:, :, rows, cols] == out) & ~taken  # first max on ties
            taken |= wins
            dx[:, :, rows, cols] += wins * grad_out
        return dx

    def config(self) -> dict[str, Any]:
        return {"type": "MaxPool2D", "size": self.size, "stride": self.stride}

    def __repr__(self) -> str:
        stride = ("" if self.stride == self.size
                  else f", stride={self.stride}")
        return f"MaxPool2D({self.size}{stride})"


@register
class Reshape(Layer):
    """Each sample to ``shape``: ``(N, 784)`` -> ``(N, 1, 28, 28)``.

    Lets a CNN take the same flat, preprocessed rows as an MLP, so
    ``model.predict(data.preprocess(x))`` works for both.
    """

    def __init__(self, shape: Sequence[int]) -> None:
        super().__init__()
        self.shape = tuple(int(d) for d in shape)
        if not self.shape or min(self.shape) < 1:
            raise ValueError(f"shape must be positive sizes, got {shape!r}")
        self._in_shape: tuple[int, ...] | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        _check_float(x, self)
        size = math.prod(self.shape)
        if x.ndim < 1 or math.prod(x.shape[1:]) != size:
            raise ValueError(f"{self!r} expected samples of {size} values, "
                             f"got input of shape {x.shape}")
        self._in_shape = x.shape
        return x.reshape(len(x), *self.shape)

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        shape = self._saved(self._in_shape)
        self._check_grad(grad_out, (shape[0], *self.shape))
        return grad_out.reshape(shape)

    def config(self) -> dict[str, Any]:
        return {"type": "Reshape", "shape": list(self.shape)}

    def __repr__(self) -> str:
        return f"Reshape({self.shape})"


@register
class Flatten(Layer):
    """``(N, C, H, W)`` -> ``(N, C * H * W)``: images to rows for ``Linear``.

    The inverse of ``Reshape``; a CNN's convolutions end with it.
    """

    def __init__(self) -> None:
        super().__init__()
        self._x: np.ndarray | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        _check_float(x, self)
        if x.ndim < 2:
            raise ValueError(
                f"{self!r} expected a batch of arrays, got {x.shape}")
        self._x = x
        return x.reshape(len(x), -1)

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        x = self._saved(self._x)
        self._check_grad(grad_out, (len(x), math.prod(x.shape[1:])))
        # The gradient goes back in the memory order its input had: after
        # a Conv2D that is (H, W, N, C), not the (N, C, H, W) of reshape,
        # and the elementwise passes of the layers below run several times
        # faster when all their arrays share one order (see Performance).
        grad = np.empty_like(x)
        grad[...] = grad_out.reshape(x.shape)
        return grad
