"""The recipes: ``DEFAULTS`` (the MLP), ``BEST_CNN``, ``BEST_VIT``, ``TrainConfig``.

Every pin of a preset lives here; the command line's reading of them is
in ``test_cli_recipe.py``.
"""

from __future__ import annotations

import ast
import dataclasses
import json
from pathlib import Path

import pytest

import scratchnet.train
from scratchnet.attention import MultiHeadSelfAttention, PatchEmbedding, TransformerBlock
from scratchnet.augment import Augment
from scratchnet.conv import Conv2D
from scratchnet.layers import Linear
from scratchnet.optim import AdamW, FusedAdam
from scratchnet.presets import BEST_CNN, BEST_VIT, DEFAULTS, PRESETS, TrainConfig
from scratchnet.train import FitConfig


def test_defaults_are_the_recommended_mnist_recipe():
    """The book's 98.3% recipe, pinned: 784-256-128-10 ReLU, Adam 4e-3, cosine."""
    model = DEFAULTS.build_model()
    assert model.architecture == "784-256-128-10 relu"
    opt = DEFAULTS.build_optimizer(model.parameters())
    assert type(opt) is FusedAdam and opt.lr == 4e-3 and opt.weight_decay == 0
    assert (DEFAULTS.lr_schedule, DEFAULTS.epochs, DEFAULTS.batch_size,
            DEFAULTS.n_val, DEFAULTS.seed) == ("cosine", 10, 256, 5000, 0)
    assert DEFAULTS.fit_config() == FitConfig()      # fit's own defaults
    assert PRESETS["best-mlp"] is DEFAULTS


def test_fit_s_own_plain_defaults_are_the_defaults_recipe():
    """``train`` does not import ``presets``; this keeps the two in step."""
    plain = FitConfig()
    assert (plain.epochs, plain.batch_size, plain.lr_schedule, plain.seed) == (
        DEFAULTS.epochs, DEFAULTS.batch_size, DEFAULTS.lr_schedule, DEFAULTS.seed)
    assert scratchnet.train.LR == DEFAULTS.lr and DEFAULTS.optimizer == "adam"


def test_train_imports_neither_the_recipes_nor_the_layers_above_it():
    tree = ast.parse(Path(scratchnet.train.__file__).read_text())
    imported = {node.module for node in ast.walk(tree)
                if isinstance(node, ast.ImportFrom)}
    assert not imported & {"scratchnet.presets", "scratchnet.conv",
                           "scratchnet.augment"}


def test_the_best_cnn_preset_is_the_book_s_recipe():
    """The convolutions chapter's 99.4% recipe, pinned layer by layer."""
    model = BEST_CNN.build_model()
    convs = [(c.in_channels, c.out_channels, c.kernel_size, c.padding)
             for c in model.layers if isinstance(c, Conv2D)]
    assert convs == [(1, 16, (5, 5), 2), (16, 32, (5, 5), 0)]
    linears = [(l.in_features, l.out_features) for l in model.layers
               if isinstance(l, Linear)]
    assert linears == [(800, 128), (128, 10)]
    assert sum(p.size for p in model.parameters()) == 117_066
    optimizer = BEST_CNN.build_optimizer(model.parameters())
    assert type(optimizer) is FusedAdam and optimizer.lr == 2e-3
    config = BEST_CNN.fit_config()
    assert (config.epochs, config.batch_size, config.lr_schedule) == (8, 128, "cosine")
    assert isinstance(config.augment, Augment)
    assert config.augment.max_shift == 2
    assert PRESETS["best-cnn"] is BEST_CNN


def test_the_best_vit_preset_is_the_recorded_recipe():
    """The attention chapter's transformer, pinned layer by layer."""
    model = BEST_VIT.build_model()
    embed, *blocks = [l for l in model.layers
                      if isinstance(l, (PatchEmbedding, TransformerBlock))]
    assert (embed.patch, embed.dim, embed.side) == (7, 64, 4)   # 16 tokens
    assert [(b.dim, b.heads, b.hidden) for b in blocks] == [(64, 4, 128)] * 2
    assert all(isinstance(b.attn, MultiHeadSelfAttention) for b in blocks)
    head = model.layers[-1]
    assert isinstance(head, Linear) and (head.in_features, head.out_features) == (64, 10)
    assert sum(p.size for p in model.parameters()) == 71_946
    optimizer = BEST_VIT.build_optimizer(model.parameters())
    assert type(optimizer) is AdamW and optimizer.lr == 2e-3
    assert optimizer.decoupled_weight_decay == 0.05
    config = BEST_VIT.fit_config()
    assert (config.epochs, config.batch_size, config.lr_schedule) == (
        20, 128, "warmup_cosine")
    assert isinstance(config.augment, Augment)
    assert config.augment.max_shift == 2
    assert PRESETS["best-vit"] is BEST_VIT and BEST_VIT.kind == "vit"


RECORDED_VIT_RUN = Path(__file__).parents[1] / "book" / "data" / "vit-recipe.json"


def test_the_recorded_vit_run_is_of_this_recipe_and_meets_the_claim():
    """The claim of issue 27 and the README: ``scratchnet train --model vit
    --seed 0`` reaches 98% test accuracy within 600 s of training on 2 cores.

    The run takes minutes, so the suite does not repeat it; it checks that
    the recorded output is of the preset as it is now (change ``BEST_VIT``
    and this fails until the run is measured again) and that it holds.
    """
    record = json.loads(RECORDED_VIT_RUN.read_text())
    run = record["result"]
    assert record["command"] == "scratchnet train --model vit --seed 0 --json"
    assert run["recipe"] == json.loads(json.dumps(dataclasses.asdict(BEST_VIT)))
    assert (run["model"], run["epochs"], run["n_test"]) == ("vit", BEST_VIT.epochs,
                                                            10_000)
    assert run["test_accuracy"] >= 0.98 and run["train_seconds"] <= 600
    assert run["warnings"] == [] and run["saved_to"] is None


def test_a_transformer_recipe_refuses_what_it_cannot_honour():
    for change, message in [
            ({"channels": (8,)}, "not both"),
            ({"hidden": (64, 32)}, "exactly one hidden size"),
            ({"activation": "relu"}, "use gelu"),
            ({"dropout": 0.1}, "no dropout"),
            ({"init": "he"}, "own initialisation")]:
        with pytest.raises(ValueError, match=message):
            dataclasses.replace(BEST_VIT, **change).build_model()
    with pytest.raises(ValueError, match="784 pixels"):
        BEST_VIT.build_model(n_in=100)
    assert (DEFAULTS.kind, BEST_CNN.kind) == ("mlp", "cnn")


def test_train_config_new_fields_default_to_off():
    assert TrainConfig().build_augment() is None
    config = TrainConfig().fit_config()
    assert config.augment is None and config.early_stopping is None
    assert TrainConfig(early_stopping=3, seed=7).fit_config() == FitConfig(
        early_stopping=3, seed=7)
    config = TrainConfig(optimizer="adamw", augment_shift=2, weight_decay=0.01,
                         init="glorot", early_stopping=3)
    model = config.build_model()
    assert model[0].init == "glorot"
    assert type(config.build_optimizer(model.parameters())).__name__ == "AdamW"
    assert isinstance(config.build_augment(), Augment)
    nesterov = TrainConfig(optimizer="sgd", nesterov=True)
    assert nesterov.build_optimizer(model.parameters()).nesterov
    with pytest.raises(ValueError, match="optimizer"):
        TrainConfig(optimizer="rmsprop").build_optimizer(model.parameters())


def test_validate_passes_every_preset_and_returns_it():
    for recipe in PRESETS.values():
        assert recipe.validate() is recipe


@pytest.mark.parametrize(("change", "message"), [
    ({"epochs": 0}, "epochs must be a whole number >= 1"),
    ({"batch_size": 2.5}, "batch_size must be a whole number"),
    ({"n_val": -1}, "n_val must be a whole number >= 0"),
    ({"augment_shift": -1}, "augment_shift must be a whole number >= 0"),
    ({"augment_degrees": float("nan")}, "max_degrees >= 0 and at most 180"),
    ({"augment_degrees": 1e308}, "max_degrees >= 0 and at most 180"),
    ({"early_stopping": -2}, "patience must be >= 1 epoch"),
    ({"early_stopping": 1.5}, "early_stopping must be a whole number"),
    ({"early_stopping": 3, "n_val": 0}, "early stopping needs a validation set"),
])
def test_validate_names_the_field_it_refuses(change, message):
    with pytest.raises((TypeError, ValueError), match=message):
        dataclasses.replace(DEFAULTS, **change).validate()


def test_printed_recipe_is_one_aligned_line_per_field():
    lines = str(DEFAULTS).splitlines()
    assert lines[:3] == ["hidden           (256, 128)",
                         "channels         ()",
                         "kernel_size      5"]
    assert "lr               0.004" in lines
    assert lines[-1] == "heads            4"
    assert [line.split()[0] for line in lines] == [
        f.name for f in dataclasses.fields(TrainConfig)]


def test_printed_recipe_shows_a_changed_value():
    changed = dataclasses.replace(DEFAULTS, lr=0.125, hidden=(32,))
    text = str(changed)
    assert "lr               0.125" in text and "hidden           (32,)" in text
    assert repr(changed).startswith("TrainConfig(")
