"""scratchnet: neural networks from scratch in NumPy, the package behind the book.

Readable rather than fast, yet fast enough to train a 98% MNIST classifier in
seconds on a laptop CPU. One idea per module: ``functional`` (the math),
``layers``, ``losses``, ``model``, ``optim``, ``train``, ``augment``,
``metrics``, ``gradcheck``, ``data``; ``conv`` for CNNs; ``presets`` for
the recipes.

The path of one MNIST image, from the IDX file to the weight update, is
eight files: ``data/mnist.py``, ``data/idx.py``, ``model.py``,
``layers.py``, ``losses.py``, ``parameter.py``, ``train.py``, ``optim.py``.
Set aside are the loops around it (``fit``, ``train_epoch``), the cache's
directory and checksum (``data/cache.py``) and the input checks:

1. ``data/mnist.py``: ``load_mnist`` reads the cached, checksum-verified
   IDX bytes; ``data/idx.py``'s ``read_idx`` makes them a ``uint8``
   ``(28, 28)`` image; ``preprocess`` a float32 row of 784 in [0, 1].
2. ``model.py``: ``Sequential.forward`` hands the row through its layers,
   ``layers.py``: ``Linear.forward`` is ``x @ W + b``, ``ReLU`` ``max(x, 0)``;
   out come 10 logits.
3. ``losses.py``: ``SoftmaxCrossEntropy.forward`` scores them against the
   label; its ``backward`` starts the gradient, and ``Sequential.backward``
   runs each layer's ``backward`` in reverse, adding ``x.T @ grad_out`` to
   ``W.grad``, a plain array of ``parameter.py``'s ``Parameter``.
4. ``train.py``: ``train_step`` is those steps in order: forward, loss,
   zero the gradients, backward, update.
5. ``optim.py``: ``Adam.step`` (or ``SGD.step``) moves each weight against
   its gradient.
"""

from scratchnet.attention import (
    GELU,
    LayerNorm,
    MeanPool,
    MultiHeadSelfAttention,
    PatchEmbedding,
    TransformerBlock,
    vit,
)
from scratchnet.augment import Augment
from scratchnet.conv import Conv2D, Flatten, MaxPool2D, Reshape
from scratchnet.data import (
    fetch_mnist,
    load_mnist,
    mnist_info,
    preprocess,
    train_val_split,
)
from scratchnet.gradcheck import (
    GradcheckResult,
    check_derivative,
    check_layer,
    check_loss,
    numerical_gradient,
)
from scratchnet.layers import (
    Dropout,
    Layer,
    LeakyReLU,
    Linear,
    ReLU,
    Sigmoid,
    Tanh,
)
from scratchnet.losses import MSE, SoftmaxCrossEntropy
from scratchnet.metrics import accuracy, confusion_matrix, per_class_accuracy
from scratchnet.model import ModelFileError, Sequential, cnn, load, mlp
from scratchnet.optim import (
    OPTIMIZERS,
    SCHEDULES,
    SGD,
    Adam,
    AdamW,
    FusedAdam,
    Optimizer,
    cosine_decay,
    step_decay,
    warmup,
)
from scratchnet.parameter import Parameter
from scratchnet.presets import BEST_CNN, DEFAULTS, PRESETS, TrainConfig
from scratchnet.train import (
    EarlyStopping,
    FitConfig,
    History,
    TrainingDiverged,
    evaluate,
    fit,
    train_epoch,
    train_step,
)

__version__ = "0.1.0"

__all__ = [
    "BEST_CNN",
    "DEFAULTS",
    "GELU",
    "MSE",
    "OPTIMIZERS",
    "PRESETS",
    "SCHEDULES",
    "SGD",
    "Adam",
    "AdamW",
    "Augment",
    "Conv2D",
    "Dropout",
    "EarlyStopping",
    "FitConfig",
    "Flatten",
    "FusedAdam",
    "GradcheckResult",
    "History",
    "Layer",
    "LayerNorm",
    "LeakyReLU",
    "Linear",
    "MaxPool2D",
    "MeanPool",
    "ModelFileError",
    "MultiHeadSelfAttention",
    "Optimizer",
    "Parameter",
    "PatchEmbedding",
    "ReLU",
    "Reshape",
    "Sequential",
    "Sigmoid",
    "SoftmaxCrossEntropy",
    "Tanh",
    "TrainConfig",
    "TrainingDiverged",
    "TransformerBlock",
    "accuracy",
    "check_derivative",
    "check_layer",
    "check_loss",
    "cnn",
    "confusion_matrix",
    "cosine_decay",
    "evaluate",
    "fetch_mnist",
    "fit",
    "load",
    "load_mnist",
    "mlp",
    "mnist_info",
    "numerical_gradient",
    "per_class_accuracy",
    "preprocess",
    "step_decay",
    "train_epoch",
    "train_step",
    "train_val_split",
    "vit",
    "warmup",
]
