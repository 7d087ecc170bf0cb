"""scratchnet: neural networks from scratch in NumPy, the package behind the book.

Readable rather than fast, yet fast enough to train a 98% MNIST classifier in
seconds on a laptop CPU. One idea per module: ``functional`` (the math),
``layers``, ``losses``, ``model``, ``optim``, ``train``, ``augment``,
``metrics``, ``gradcheck``, ``data``; ``conv`` and ``presets`` for CNNs.
"""

from scratchnet.conv import Conv2D, Flatten, MaxPool2D, Reshape
from scratchnet.gradcheck import (
    GradcheckResult, check_derivative, check_layer, check_loss, numerical_gradient,
)
from scratchnet.layers import (
    Dropout, Layer, LeakyReLU, Linear, ReLU, Sigmoid, Tanh,
)
from scratchnet.losses import MSE, SoftmaxCrossEntropy
from scratchnet.metrics import accuracy, confusion_matrix, per_class_accuracy
from scratchnet.model import ModelFileError, Sequential, load, mlp
from scratchnet.augment import Augment
from scratchnet.optim import (
    SCHEDULES, SGD, Adam, AdamW, Optimizer, cosine_decay, step_decay, warmup,
)
from scratchnet.parameter import Parameter
from scratchnet.presets import PRESETS, CNNConfig, cnn
from scratchnet.train import (
    DEFAULTS, EarlyStopping, History, TrainConfig, TrainingDiverged, evaluate, fit,
)

from scratchnet.data import (
    fetch_mnist, load_mnist, mnist_info, preprocess, train_val_split,
)

__version__ = "0.1.0"

__all__ = [
    "CNNConfig", "Conv2D", "Flatten", "MaxPool2D", "PRESETS", "Reshape", "cnn",
    "DEFAULTS", "MSE", "SCHEDULES", "SGD", "Adam", "AdamW", "Augment", "Dropout",
    "EarlyStopping", "GradcheckResult", "History",
    "Layer", "LeakyReLU", "Linear", "ModelFileError", "Optimizer", "Parameter",
    "ReLU", "Sequential", "Sigmoid", "SoftmaxCrossEntropy", "Tanh", "TrainConfig",
    "TrainingDiverged", "accuracy", "check_derivative", "check_layer",
    "check_loss", "confusion_matrix", "cosine_decay", "evaluate", "fetch_mnist",
    "fit", "load", "load_mnist", "mlp", "mnist_info", "numerical_gradient",
    "per_class_accuracy", "preprocess", "step_decay", "train_val_split", "warmup",
]
