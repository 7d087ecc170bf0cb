"""Training images per second for a small vision transformer: scratchnet vs PyTorch.

Both train ``attention.vit()`` (7x7 patches, 64 features, two pre-norm
blocks of 4 heads with a 128-unit GELU MLP, mean pooling) with Adam at
batch 128 on the same images in the same order, in float32 with the same
thread count, from the same initial weights. The PyTorch model is written
with ``nn.Linear`` projections and an explicit softmax, layer for layer the
computation of ``scratchnet.attention``, so the two do the same arithmetic.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from scratchnet.attention import vit
from scratchnet.optim import Adam

from .common import BATCH, scratchnet_trainer, torch_trainer

ARCH = {"patch": 7, "dim": 64, "depth": 2, "heads": 4, "hidden": 128}
LR = 1e-3


def _batches(order: np.ndarray, steps: int) -> list[np.ndarray]:
    return [order[i * BATCH:(i + 1) * BATCH] for i in range(steps)]


def scratchnet_steps(x: np.ndarray, y: np.ndarray, order: np.ndarray,
                     steps: int) -> Callable[[], object]:
    model = vit(**ARCH)
    optimizer = Adam(model.parameters(), lr=LR)
    return scratchnet_trainer(model, optimizer, x, y, _batches(order, steps))


def torch_model() -> Any:
    """The same transformer in PyTorch, its ``Linear`` layers in scratchnet's order."""
    import torch
    from torch import nn

    p, d, heads = ARCH["patch"], ARCH["dim"], ARCH["heads"]
    side = 28 // p

    class Block(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.norm1 = nn.LayerNorm(d)
            self.q, self.k, self.v, self.o = (nn.Linear(d, d) for _ in range(4))
            self.norm2 = nn.LayerNorm(d)
            hidden = ARCH["hidden"]
            self.fc1, self.fc2 = nn.Linear(d, hidden), nn.Linear(hidden, d)

        def forward(self, x: Any) -> Any:
            n, t, _ = x.shape
            z = self.norm1(x)
            q, k, v = (f(z).reshape(n, t, heads, -1).transpose(1, 2)
                       for f in (self.q, self.k, self.v))
            a = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(d // heads), dim=-1)
            x = x + self.o((a @ v).transpose(1, 2).reshape(n, t, d))
            gelu = nn.functional.gelu(self.fc1(self.norm2(x)), approximate="tanh")
            return x + self.fc2(gelu)

    class ViT(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.proj = nn.Linear(p * p, d)
            self.E = nn.Parameter(torch.zeros(side * side, d))
            self.blocks = nn.Sequential(*(Block() for _ in range(ARCH["depth"])))
            self.norm = nn.LayerNorm(d)
            self.head = nn.Linear(d, 10)

        def forward(self, x: Any) -> Any:
            n = x.shape[0]
            patches = (x.reshape(n, side, p, side, p).permute(0, 1, 3, 2, 4)
                       .reshape(n, side * side, p * p))
            tokens = self.blocks(self.proj(patches) + self.E)
            return self.head(self.norm(tokens).mean(dim=1))

    return ViT()


def torch_steps(x: np.ndarray, y: np.ndarray, order: np.ndarray, steps: int,
                threads: int) -> Callable[[], object] | None:
    """The same transformer trained by PyTorch on the CPU, or None without torch."""
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(threads)
    model = torch_model()
    ours = vit(**ARCH)
    named = dict(ours.named_parameters())
    with torch.no_grad():
        model.E.copy_(torch.from_numpy(named["0.E"].value))
    # The W, b pairs of every Linear, in the order of the PyTorch modules.
    weights = [p.value for name, p in ours.named_parameters()
               if name.endswith((".W", ".b")) and "norm" not in name]
    optimizer = torch.optim.Adam(model.parameters(), lr=LR)
    return torch_trainer(model, optimizer, x, y, _batches(order, steps), weights)
