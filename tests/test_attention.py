"""The transformer's layers: finite differences, the autograd engine, PyTorch.

Each layer's hand-written ``backward`` is checked three ways in float64:
against central differences (``gradcheck.check_layer``), against the
autograd engine running the same forward pass built from its operations,
and against PyTorch's own modules given the same weights. The PyTorch tests
skip without torch, and fail under ``SCRATCHNET_REQUIRE_TORCH=1``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from scratchnet import gradcheck
from scratchnet.attention import (
    GELU,
    LayerNorm,
    MeanPool,
    MultiHeadSelfAttention,
    PatchEmbedding,
    TransformerBlock,
)
from scratchnet.autograd import Tensor
from scratchnet.layers import Linear
from scratchnet.model import Sequential

N, T, D, HEADS, HIDDEN = 3, 5, 8, 2, 12


def float64(layer: Any) -> Any:
    """The layer with float64 parameters, random where they start constant."""
    rng = np.random.default_rng(5)
    for p in layer.parameters():
        p.value = p.value.astype(np.float64) + 0.1 * rng.standard_normal(p.shape)
        p.grad = np.zeros_like(p.value)
    return layer


def tokens(seed: int = 0, shape: tuple[int, ...] = (N, T, D)) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(shape)


def backward_of(layer: Any, x: np.ndarray, g: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """Output, input gradient and parameter gradients of the hand-written layer."""
    out = layer.forward(x)
    grad_x = layer.backward(g)
    return out, grad_x, {p.name: p.grad for p in layer.parameters()}


LAYERS = {
    "layer_norm": (lambda: LayerNorm(D), (N, T, D)),
    "gelu": (GELU, (N, T, D)),
    "attention": (lambda: MultiHeadSelfAttention(D, HEADS, rng=1), (N, T, D)),
    "block": (lambda: TransformerBlock(D, HEADS, HIDDEN, rng=2), (N, T, D)),
    "patches": (lambda: PatchEmbedding(2, D, image=6, rng=3), (N, 36)),
    "mean_pool": (MeanPool, (N, T, D)),
}


@pytest.mark.parametrize("name", LAYERS)
def test_every_layer_passes_the_finite_difference_check(name: str) -> None:
    make, shape = LAYERS[name]
    report = gradcheck.check_layer(float64(make()), tokens(1, shape))
    # The key bias's true gradient is 0 (see below): both sides are noise.
    errors = {k: e for k, e in report.errors.items() if not k.endswith("k.b")}
    assert max(errors.values()) < 1e-6, report


def test_the_key_bias_gets_no_gradient() -> None:
    """``q . (k + b) = q . k + q . b``: the same shift for every key of a
    row, which softmax ignores."""
    attn = float64(MultiHeadSelfAttention(D, HEADS, rng=4))
    attn.forward(tokens(3))
    attn.backward(tokens(4))
    assert np.abs(attn.k.b.grad).max() < 1e-12 < np.abs(attn.q.b.grad).max()


# The same forward passes built from the engine's operations.

def engine_layer_norm(x: Tensor, gamma: Tensor, beta: Tensor,
                      eps: float = 1e-5) -> Tensor:
    xc = x - x.mean(axis=-1, keepdims=True)
    inv = ((xc * xc).mean(axis=-1, keepdims=True) + eps).log() * -0.5
    return xc * inv.exp() * gamma + beta


def engine_gelu(x: Tensor) -> Tensor:
    inner = (x + x * x * x * 0.044715) * math.sqrt(2 / math.pi)
    return x * (inner.tanh() + 1.0) * 0.5


def engine_attention(x: Tensor, p: dict[str, Tensor], heads: int) -> Tensor:
    n, t, d = x.shape
    rows = x.reshape(n * t, d)

    def split(a: Tensor) -> Tensor:
        return a.reshape(n, t, heads, d // heads).transpose(0, 2, 1, 3)
    q, k, v = (split(rows @ p[f"{f}.W"] + p[f"{f}.b"]) for f in "qkv")
    scores = q @ k.transpose(0, 1, 3, 2) * (1 / math.sqrt(d // heads))
    mixed = (scores.log_softmax().exp() @ v).transpose(0, 2, 1, 3)
    return (mixed.reshape(n * t, d) @ p["o.W"] + p["o.b"]).reshape(n, t, d)


def engine_block(x: Tensor, p: dict[str, Tensor], heads: int) -> Tensor:
    n, t, d = x.shape
    attn = {k[5:]: v for k, v in p.items() if k.startswith("attn.")}
    h = x + engine_attention(engine_layer_norm(x, p["norm1.gamma"], p["norm1.beta"]),
                             attn, heads)
    z = engine_layer_norm(h, p["norm2.gamma"], p["norm2.beta"]).reshape(n * t, d)
    z = engine_gelu(z @ p["fc1.W"] + p["fc1.b"]) @ p["fc2.W"] + p["fc2.b"]
    return h + z.reshape(n, t, d)


def engine_patches(x: Tensor, p: dict[str, Tensor], patch: int, image: int) -> Tensor:
    n, s = x.shape[0], image // patch
    cut = x.reshape(n, s, patch, s, patch).transpose(0, 1, 3, 2, 4)
    proj = cut.reshape(n * s * s, patch * patch) @ p["W"] + p["b"]
    return proj.reshape(n, s * s, -1) + p["E"]


ENGINE = {
    "layer_norm": lambda x, p: engine_layer_norm(x, p["gamma"], p["beta"]),
    "gelu": lambda x, p: engine_gelu(x),
    "attention": lambda x, p: engine_attention(x, p, HEADS),
    "block": lambda x, p: engine_block(x, p, HEADS),
    "patches": lambda x, p: engine_patches(x, p, 2, 6),
    "mean_pool": lambda x, p: x.mean(axis=1),
}


@pytest.mark.parametrize("name", LAYERS)
def test_every_backward_equals_the_autograd_engine(name: str) -> None:
    make, shape = LAYERS[name]
    layer, x = float64(make()), tokens(2, shape)
    g = np.random.default_rng(3).standard_normal(layer.forward(x).shape)
    out, grad_x, grads = backward_of(layer, x, g)

    leaf = Tensor(x, requires_grad=True)
    params = {p.name: Tensor(p.value, requires_grad=True) for p in layer.parameters()}
    result = ENGINE[name](leaf, params)
    (result * g).sum().backward()
    np.testing.assert_allclose(result.data, out, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(leaf.grad, grad_x, rtol=1e-10, atol=1e-12)
    for key, tensor in params.items():
        np.testing.assert_allclose(tensor.grad, grads[key], rtol=1e-10, atol=1e-12,
                                   err_msg=key)


def leaf(torch: Any, a: np.ndarray) -> Any:
    return torch.tensor(a, dtype=torch.float64, requires_grad=True)


def close(ours: np.ndarray, theirs: Any) -> None:
    np.testing.assert_allclose(ours, theirs.detach().numpy(), rtol=1e-10, atol=1e-12)


def test_layer_norm_and_gelu_match_torch(torch: Any) -> None:
    norm, gelu = float64(LayerNorm(D)), GELU()
    x, g = tokens(4), tokens(5)
    out, grad_x, grads = backward_of(norm, gelu.forward(x), g)
    grad_x = gelu.backward(grad_x)

    tx = leaf(torch, x)
    tg, tb = leaf(torch, norm.gamma.value), leaf(torch, norm.beta.value)
    F = torch.nn.functional
    t_out = F.layer_norm(F.gelu(tx, approximate="tanh"), (D,), tg, tb, eps=1e-5)
    t_out.backward(torch.from_numpy(g))
    close(out, t_out)
    close(grad_x, tx.grad)
    close(grads["gamma"], tg.grad)
    close(grads["beta"], tb.grad)


def torch_attention(torch: Any, attn: MultiHeadSelfAttention) -> Any:
    """``nn.MultiheadAttention`` with the weights of ``attn`` (transposed:
    torch computes ``x W^T``)."""
    mha = torch.nn.MultiheadAttention(D, HEADS, batch_first=True).double()
    with torch.no_grad():
        mha.in_proj_weight.copy_(torch.from_numpy(np.concatenate(
            [attn.q.W.value.T, attn.k.W.value.T, attn.v.W.value.T])))
        mha.in_proj_bias.copy_(torch.from_numpy(np.concatenate(
            [attn.q.b.value, attn.k.b.value, attn.v.b.value])))
        mha.out_proj.weight.copy_(torch.from_numpy(attn.o.W.value.T))
        mha.out_proj.bias.copy_(torch.from_numpy(attn.o.b.value))
    return mha


def test_attention_matches_torch_multihead_attention(torch: Any) -> None:
    attn = float64(MultiHeadSelfAttention(D, HEADS, rng=6))
    x, g = tokens(6), tokens(7)
    out, grad_x, grads = backward_of(attn, x, g)

    mha, tx = torch_attention(torch, attn), leaf(torch, x)
    t_out, t_weights = mha(tx, tx, tx, need_weights=True, average_attn_weights=False)
    t_out.backward(torch.from_numpy(g))
    close(out, t_out)
    close(attn.attention, t_weights)
    close(grad_x, tx.grad)
    w_grad = mha.in_proj_weight.grad.numpy()
    for i, f in enumerate("qkv"):
        close(grads[f"{f}.W"], torch.from_numpy(w_grad[i * D:(i + 1) * D].T))
        close(grads[f"{f}.b"], mha.in_proj_bias.grad[i * D:(i + 1) * D])
    close(grads["o.W"], mha.out_proj.weight.grad.T)
    close(grads["o.b"], mha.out_proj.bias.grad)


def test_block_matches_torch_transformer_encoder_layer(torch: Any) -> None:
    """Pre-norm, GELU (tanh form), no dropout: ``norm_first=True``."""
    block = float64(TransformerBlock(D, HEADS, HIDDEN, rng=8))
    x, g = tokens(8), tokens(9)
    out, grad_x, grads = backward_of(block, x, g)

    F = torch.nn.functional
    layer = torch.nn.TransformerEncoderLayer(
        D, HEADS, HIDDEN, dropout=0.0, batch_first=True, norm_first=True,
        activation=lambda z: F.gelu(z, approximate="tanh")).double()
    mha = torch_attention(torch, block.attn)
    with torch.no_grad():
        layer.self_attn.load_state_dict(mha.state_dict())
        for ours, theirs in [(block.fc1, layer.linear1), (block.fc2, layer.linear2)]:
            theirs.weight.copy_(torch.from_numpy(ours.W.value.T))
            theirs.bias.copy_(torch.from_numpy(ours.b.value))
        for ours, theirs in [(block.norm1, layer.norm1), (block.norm2, layer.norm2)]:
            theirs.weight.copy_(torch.from_numpy(ours.gamma.value))
            theirs.bias.copy_(torch.from_numpy(ours.beta.value))
    tx = leaf(torch, x)
    t_out = layer(tx)
    t_out.backward(torch.from_numpy(g))
    close(out, t_out)
    close(grad_x, tx.grad)
    close(grads["fc1.W"], layer.linear1.weight.grad.T)
    close(grads["fc2.b"], layer.linear2.bias.grad)
    close(grads["norm1.gamma"], layer.norm1.weight.grad)
    close(grads["norm2.beta"], layer.norm2.bias.grad)
    close(grads["attn.o.W"], layer.self_attn.out_proj.weight.grad.T)


def test_patch_embedding_matches_a_strided_torch_convolution(torch: Any) -> None:
    embed = float64(PatchEmbedding(7, D, rng=9))
    x = np.random.default_rng(10).random((N, 784))
    g = np.random.default_rng(11).standard_normal((N, 16, D))
    out, grad_x, grads = backward_of(embed, x, g)

    F = torch.nn.functional
    tx = leaf(torch, x)
    tw = leaf(torch, embed.proj.W.value.T.reshape(D, 1, 7, 7))
    tb, te = leaf(torch, embed.proj.b.value), leaf(torch, embed.E.value)
    conv = F.conv2d(tx.reshape(N, 1, 28, 28), tw, tb, stride=7)   # (N, D, 4, 4)
    t_out = conv.flatten(2).transpose(1, 2) + te
    t_out.backward(torch.from_numpy(g))
    close(out, t_out)
    close(grad_x, tx.grad)
    close(grads["W"], tw.grad.reshape(D, 49).T)
    close(grads["b"], tb.grad)
    close(grads["E"], te.grad)


def test_mean_pool_matches_torch_mean(torch: Any) -> None:
    """The last layer without a PyTorch oracle of its own: the mean over tokens."""
    pool = MeanPool()
    x, g = tokens(13), np.random.default_rng(14).standard_normal((N, D))
    out, grad_x, _ = backward_of(pool, x, g)
    tx = leaf(torch, x)
    t_out = tx.mean(dim=1)
    t_out.backward(torch.from_numpy(g))
    close(out, t_out)
    close(grad_x, tx.grad)


def test_a_small_vision_transformer_saves_and_loads(tmp_path: Any) -> None:
    model = Sequential(PatchEmbedding(7, 16, rng=0),
                       TransformerBlock(16, 2, 32, rng=1),
                       LayerNorm(16), MeanPool(), Linear(16, 10, rng=2))
    x = np.random.default_rng(0).random((4, 784), dtype=np.float32)
    path = model.save(tmp_path / "vit.npz")
    again = Sequential.load(path)
    np.testing.assert_array_equal(again.logits(x), model.logits(x))
    assert len({name for name, _ in model.named_parameters()}) == len(model.parameters())


def test_attention_rows_are_probabilities_and_shapes_are_checked() -> None:
    attn = MultiHeadSelfAttention(D, HEADS)
    attn.forward(tokens(12).astype(np.float32))
    assert attn.attention is not None and attn.attention.shape == (N, HEADS, T, T)
    np.testing.assert_allclose(attn.attention.sum(axis=-1), 1, rtol=1e-6)
    with pytest.raises(ValueError, match="multiple of heads"):
        MultiHeadSelfAttention(10, 4)
    with pytest.raises(ValueError, match="tokens"):
        attn.forward(np.zeros((2, D), np.float32))
    with pytest.raises(ValueError, match="multiple of patch"):
        PatchEmbedding(5, 8)
