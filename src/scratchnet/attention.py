"""The layers of a small vision transformer, each ``forward`` with its ``backward``.

A digit becomes a sequence of *tokens*: ``PatchEmbedding`` cuts the
``(N, 784)`` rows into ``T`` square patches, projects each to ``D`` numbers
and adds a learned position embedding, giving ``(N, T, D)``.
``TransformerBlock`` mixes the tokens with multi-head self-attention and
transforms each with a small GELU network, both inside residual
connections with ``LayerNorm`` before them; ``MeanPool`` averages the
tokens to one ``(N, D)`` row for a final ``Linear``.

The contract is the one of ``scratchnet.layers``: ``backward(grad_out)``
adds each parameter's gradient to its ``.grad`` with a plain ``+=`` and
returns the gradient with respect to the input. Arrays of tokens are
``(N, T, D)``; the layers follow the dtype of their input.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from scratchnet import functional as F
from scratchnet.errors import check_whole
from scratchnet.layers import Layer, Linear, _check_float, register
from scratchnet.model import Sequential
from scratchnet.parameter import Parameter


def _rows(a: np.ndarray) -> np.ndarray:
    """``(..., d)`` as ``(rows, d)``: the leading axes are all examples."""
    return a.reshape(-1, a.shape[-1])



@register
class LayerNorm(Layer):
    """Normalise each token to mean 0 and variance 1, then scale and shift.

    ``y = (x - mean) / sqrt(var + eps) * gamma + beta`` over the last axis
    (``dim`` features), so every token is normalised on its own, whatever
    the batch. ``gamma`` starts at 1, ``beta`` at 0.
    """

    def __init__(self, dim: int, eps: float = 1e-5) -> None:
        super().__init__()
        self.dim = check_whole("dim", dim)
        self.eps = float(eps)
        if not (math.isfinite(self.eps) and self.eps > 0):
            # eps <= 0 takes the square root of a negative (or zero) variance:
            # NaN outputs, and every prediction class 0, without a word.
            raise ValueError(f"eps must be a finite number > 0, got {eps!r}")
        self.gamma = Parameter(np.ones(self.dim, np.float32), "gamma")
        self.beta = Parameter(np.zeros(self.dim, np.float32), "beta")
        self._xhat: np.ndarray | None = None
        self._inv: np.ndarray | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        _check_float(x, self)
        xc = x - x.mean(axis=-1, keepdims=True)
        self._inv = 1 / np.sqrt((xc * xc).mean(axis=-1, keepdims=True) + self.eps)
        self._xhat = xc * self._inv
        return self._xhat * self.gamma.value + self.beta.value

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        xhat, inv = self._saved(self._xhat), self._saved(self._inv)
        self._check_grad(grad_out, xhat.shape)
        self.gamma.grad += _rows(grad_out * xhat).sum(axis=0)
        self.beta.grad += _rows(grad_out).sum(axis=0)
        g = grad_out * self.gamma.value                  # dL/dxhat
        # xhat moves with x, with the mean, and with the variance:
        return inv * (g - g.mean(axis=-1, keepdims=True)
                      - xhat * (g * xhat).mean(axis=-1, keepdims=True))

    def parameters(self) -> list[Parameter]:
        return [self.gamma, self.beta]

    def config(self) -> dict[str, Any]:
        return {"type": "LayerNorm", "dim": self.dim, "eps": self.eps}

    @staticmethod
    def parameter_shapes(config: dict[str, Any]) -> dict[str, tuple[Any, ...]]:
        return {"gamma": (config["dim"],), "beta": (config["dim"],)}


@register
class GELU(Layer):
    """``x * Phi(x)``, smooth where ReLU has a kink; the tanh approximation
    ``0.5 x (1 + tanh(c (x + 0.044715 x^3)))`` with ``c = sqrt(2 / pi)``."""

    C = math.sqrt(2 / math.pi)

    def __init__(self) -> None:
        super().__init__()
        self._x: np.ndarray | None = None
        self._t: np.ndarray | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        self._x = _check_float(x, self)
        self._t = np.tanh(self.C * (x + 0.044715 * x * x * x))
        return 0.5 * x * (1 + self._t)

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        x, t = self._saved(self._x), self._saved(self._t)
        self._check_grad(grad_out, x.shape)
        slope = (0.5 * (1 + t)
                 + 0.5 * x * (1 - t * t) * self.C * (1 + 3 * 0.044715 * x * x))
        return grad_out * slope


@register
class MultiHeadSelfAttention(Layer):
    """Every token looks at every token: ``softmax(Q K^T / sqrt(d)) V`` per head.

    ``Q``, ``K`` and ``V`` are ``Linear`` projections of the tokens
    ``(N, T, D)``, split into ``heads`` heads of ``d = D / heads`` features.
    Each head's attention ``A`` is ``(N, T, T)``: row ``i`` says how much
    token ``i`` takes from every token. The heads' outputs are concatenated
    and projected by a fourth ``Linear``. ``attention`` keeps the last ``A``,
    ``(N, heads, T, T)``, to be looked at.
    """

    def __init__(self, dim: int, heads: int, *,
                 rng: np.random.Generator | int = 0) -> None:
        super().__init__()
        self.dim, self.heads = check_whole("dim", dim), check_whole("heads", heads)
        if dim % heads:
            raise ValueError(f"dim ({dim}) must be a multiple of heads ({heads})")
        rng = np.random.default_rng(rng)
        self.q, self.k, self.v, self.o = (
            Linear(dim, dim, init="glorot", rng=rng) for _ in range(4))
        for name in "qkvo":
            for p in getattr(self, name).parameters():
                p.name = f"{name}.{p.name}"
        self.attention: np.ndarray | None = None
        self._qkv: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
        self._shape: tuple[int, ...] | None = None

    def _split(self, a: np.ndarray, n: int) -> np.ndarray:
        """``(N*T, D)`` -> ``(N, heads, T, d)``."""
        return a.reshape(n, -1, self.heads, self.dim // self.heads).transpose(0, 2, 1, 3)

    def _merge(self, a: np.ndarray) -> np.ndarray:
        """``(N, heads, T, d)`` -> ``(N*T, D)``."""
        return a.transpose(0, 2, 1, 3).reshape(-1, self.dim)

    def forward(self, x: np.ndarray) -> np.ndarray:
        _check_float(x, self)
        if x.ndim != 3 or x.shape[2] != self.dim:
            raise ValueError(f"{self!r} expected tokens of shape (batch, tokens, "
                             f"{self.dim}), got {x.shape}")
        n, rows = len(x), _rows(x)
        q, k, v = (self._split(f.forward(rows), n) for f in (self.q, self.k, self.v))
        scores = q @ k.transpose(0, 1, 3, 2) / math.sqrt(q.shape[-1])
        self.attention = F.softmax(scores)                # (N, heads, T, T)
        self._qkv, self._shape = (q, k, v), x.shape
        out = self.o.forward(self._merge(self.attention @ v))
        return out.reshape(x.shape)

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        self._check_grad(grad_out, self._saved(self._shape))
        a, (q, k, v) = self._saved(self.attention), self._saved(self._qkv)
        n = len(grad_out)
        g = self._split(self.o.backward(_rows(grad_out)), n)   # dL/d(A V)
        grad_a = g @ v.transpose(0, 1, 3, 2)
        grad_v = a.transpose(0, 1, 3, 2) @ g
        # softmax, row by row: A * (dL/dA - sum(dL/dA * A))
        grad_s = a * (grad_a - (grad_a * a).sum(axis=-1, keepdims=True))
        grad_s /= math.sqrt(q.shape[-1])
        grad_q = grad_s @ k
        grad_k = grad_s.transpose(0, 1, 3, 2) @ q
        grad_x = (self.q.backward(self._merge(grad_q))
                  + self.k.backward(self._merge(grad_k))
                  + self.v.backward(self._merge(grad_v)))
        return grad_x.reshape(grad_out.shape)

    def parameters(self) -> list[Parameter]:
        return [p for f in (self.q, self.k, self.v, self.o) for p in f.parameters()]

    def config(self) -> dict[str, Any]:
        return {"type": "MultiHeadSelfAttention", "dim": self.dim, "heads": self.heads}

    @staticmethod
    def parameter_shapes(config: dict[str, Any]) -> dict[str, tuple[Any, ...]]:
        d = config["dim"]
        return {f"{f}.{p}": shape for f in "qkvo"
                for p, shape in (("W", (d, d)), ("b", (d,)))}


@register
class PatchEmbedding(Layer):
    """``(N, 784)`` digits -> ``(N, T, D)`` tokens: patches, projected, plus position.

    Each ``image x image`` picture is cut into ``T = (image / patch)^2``
    square patches of ``patch^2`` pixels, read row by row; each patch is
    projected by ``W`` ``(patch^2, D)`` plus ``b``, and token ``t`` gets the
    learned position embedding ``E[t]`` added, so that attention can tell
    where a patch came from.
    """

    def __init__(self, patch: int = 7, dim: int = 64, image: int = 28, *,
                 rng: np.random.Generator | int = 0) -> None:
        super().__init__()
        self.patch, self.dim = check_whole("patch", patch), check_whole("dim", dim)
        self.image = check_whole("image", image)
        if image % patch:
            raise ValueError(f"image ({image}) must be a multiple of patch ({patch})")
        self.side = image // patch
        rng = np.random.default_rng(rng)
        self.proj = Linear(patch * patch, dim, init="glorot", rng=rng)
        self.E = Parameter(0.02 * rng.standard_normal(
            (self.side ** 2, dim), dtype=np.float32), "E")
        self._n: int | None = None

    def patches(self, x: np.ndarray) -> np.ndarray:
        """``(N, image^2)`` -> ``(N, T, patch^2)``, patches in reading order."""
        n, s, p = len(x), self.side, self.patch
        return (x.reshape(n, s, p, s, p).transpose(0, 1, 3, 2, 4)
                .reshape(n, s * s, p * p))

    def forward(self, x: np.ndarray) -> np.ndarray:
        _check_float(x, self)
        if x.ndim != 2 or x.shape[1] != self.image ** 2:
            raise ValueError(f"{self!r} expected images of shape (batch, "
                             f"{self.image ** 2}), got {x.shape}")
        self._n = n = len(x)
        tokens = self.proj.forward(_rows(self.patches(x)))
        return tokens.reshape(n, -1, self.dim) + self.E.value

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        n = self._saved(self._n)
        self._check_grad(grad_out, (n, self.side ** 2, self.dim))
        self.E.grad += grad_out.sum(axis=0)          # E is added to every image
        grad_patches = self.proj.backward(_rows(grad_out))
        s, p = self.side, self.patch                 # undo patches()
        return (grad_patches.reshape(n, s, s, p, p).transpose(0, 1, 3, 2, 4)
                .reshape(n, -1))

    def parameters(self) -> list[Parameter]:
        return [*self.proj.parameters(), self.E]

    def config(self) -> dict[str, Any]:
        return {"type": "PatchEmbedding", "patch": self.patch, "dim": self.dim,
                "image": self.image}

    @staticmethod
    def parameter_shapes(config: dict[str, Any]) -> dict[str, tuple[Any, ...]]:
        p, d = config["patch"], config["dim"]
        tokens = (config.get("image", 28) // p) ** 2
        return {"W": (p * p, d), "b": (d,), "E": (tokens, d)}


@register
class TransformerBlock(Layer):
    """``h = x + Attention(LayerNorm(x))``, then ``y = h + MLP(LayerNorm(h))``.

    The MLP is ``Linear(D, hidden)``, GELU, ``Linear(hidden, D)``, applied to
    every token alone. The residual connections ``x + f(x)`` pass the
    gradient straight through, plus what ``f`` adds: ``G + f'(G)``.
    """

    def __init__(self, dim: int = 64, heads: int = 4, hidden: int = 128, *,
                 rng: np.random.Generator | int = 0) -> None:
        super().__init__()
        self.dim, self.heads = check_whole("dim", dim), check_whole("heads", heads)
        self.hidden = check_whole("hidden", hidden)
        rng = np.random.default_rng(rng)
        self.norm1, self.norm2 = LayerNorm(dim), LayerNorm(dim)
        self.attn = MultiHeadSelfAttention(dim, heads, rng=rng)
        self.fc1 = Linear(dim, hidden, init="he", rng=rng)
        self.gelu = GELU()
        self.fc2 = Linear(hidden, dim, init="glorot", rng=rng)
        for name in ("norm1", "attn", "norm2", "fc1", "fc2"):
            for p in getattr(self, name).parameters():
                p.name = f"{name}.{p.name}"

    def forward(self, x: np.ndarray) -> np.ndarray:
        h = x + self.attn.forward(self.norm1.forward(x))
        z = self.fc1.forward(_rows(self.norm2.forward(h)))
        return h + self.fc2.forward(self.gelu.forward(z)).reshape(h.shape)

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        g = self.fc2.backward(_rows(grad_out))
        g = self.fc1.backward(self.gelu.backward(g)).reshape(grad_out.shape)
        grad_h = grad_out + self.norm2.backward(g)           # both paths to h
        g = self.norm1.backward(self.attn.backward(grad_h))
        return grad_h + g                                    # both paths to x

    def parameters(self) -> list[Parameter]:
        return [p for f in (self.norm1, self.attn, self.norm2, self.fc1, self.fc2)
                for p in f.parameters()]

    def config(self) -> dict[str, Any]:
        return {"type": "TransformerBlock", "dim": self.dim, "heads": self.heads,
                "hidden": self.hidden}

    @staticmethod
    def parameter_shapes(config: dict[str, Any]) -> dict[str, tuple[Any, ...]]:
        d, hidden = config["dim"], config["hidden"]
        norm = LayerNorm.parameter_shapes({"dim": d})
        attn = MultiHeadSelfAttention.parameter_shapes({"dim": d})
        return {**{f"norm1.{k}": s for k, s in norm.items()},
                **{f"attn.{k}": s for k, s in attn.items()},
                **{f"norm2.{k}": s for k, s in norm.items()},
                "fc1.W": (d, hidden), "fc1.b": (hidden,),
                "fc2.W": (hidden, d), "fc2.b": (d,)}


@register
class MeanPool(Layer):
    """``(N, T, D)`` -> ``(N, D)``: the mean of the tokens, one row per image."""

    def __init__(self) -> None:
        super().__init__()
        self._shape: tuple[int, ...] | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        _check_float(x, self)
        if x.ndim != 3:
            raise ValueError(f"{self!r} expected tokens (batch, tokens, dim), "
                             f"got {x.shape}")
        self._shape = x.shape
        return x.mean(axis=1)

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        shape = self._saved(self._shape)
        self._check_grad(grad_out, (shape[0], shape[2]))
        return np.broadcast_to(grad_out[:, None, :] / shape[1], shape).copy()


ATTENTION_LAYERS = (LayerNorm, GELU, MultiHeadSelfAttention, PatchEmbedding,
                    TransformerBlock, MeanPool)
"""This module's layers, each ``@register``-ed so that ``load`` rebuilds them."""


def vit(patch: int = 7, dim: int = 64, depth: int = 2, heads: int = 4,
        hidden: int = 128, n_out: int = 10, seed: int = 0) -> Sequential:
    """A small vision transformer for ``(N, 784)`` digits.

    ``PatchEmbedding`` (``(28 / patch)^2`` tokens of ``dim`` numbers),
    ``depth`` ``TransformerBlock`` layers, a final ``LayerNorm``, the mean of
    the tokens and a ``Linear`` to the ``n_out`` logits. One Generator
    seeded by ``seed`` draws all the weights.
    """
    rng = np.random.default_rng(seed)
    return Sequential(
        PatchEmbedding(patch, dim, rng=rng),
        *(TransformerBlock(dim, heads, hidden, rng=rng) for _ in range(depth)),
        LayerNorm(dim), MeanPool(), Linear(dim, n_out, init="glorot", rng=rng))
