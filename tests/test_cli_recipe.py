"""``scratchnet train``'s options, through the real parser, into the recipe it trains.

Every test parses a command line with ``build_parser`` and resolves it with
``recipe_from_args``, the functions ``main`` uses, or runs ``main`` itself
with ``fit`` watched: nothing here rebuilds the command line's logic.
"""

from __future__ import annotations

import json
from dataclasses import fields, replace
from pathlib import Path

import numpy as np
import pytest

from scratchnet import cli
from scratchnet.layers import Dropout, Tanh
from scratchnet.optim import SGD, AdamW, FusedAdam
from scratchnet.presets import BEST_CNN, BEST_VIT, DEFAULTS, PRESETS, TrainConfig
from scratchnet.train import History

_RNG = np.random.default_rng(0)
TINY = ((_RNG.integers(0, 256, (300, 28, 28), dtype=np.uint8),
         _RNG.integers(0, 10, 300)),
        (_RNG.integers(0, 256, (50, 28, 28), dtype=np.uint8),
         _RNG.integers(0, 10, 50)))
"""A stand-in for ``load_mnist()``: random digits, for the plumbing only."""


def recipe_for(*flags: str) -> TrainConfig:
    """The recipe ``scratchnet train FLAGS`` trains, as ``main`` resolves it."""
    return cli.recipe_from_args(cli.build_parser().parse_args(["train", *flags]))


# One case per recipe option: a value that differs from both presets'.
OPTION_CASES = [
    ("--hidden", "64,32", "hidden", (64, 32)),
    ("--activation", "tanh", "activation", "tanh"),
    ("--dropout", "0.25", "dropout", 0.25),
    ("--init", "glorot", "init", "glorot"),
    ("--optimizer", "sgd", "optimizer", "sgd"),
    ("--lr", "0.01", "lr", 0.01),
    ("--momentum", "0.5", "momentum", 0.5),
    ("--nesterov", None, "nesterov", True),
    ("--weight-decay", "0.001", "weight_decay", 0.001),
    ("--lr-schedule", "step", "lr_schedule", "step"),
    ("--epochs", "3", "epochs", 3),
    ("--batch-size", "64", "batch_size", 64),
    ("--val", "1000", "n_val", 1000),
    ("--seed", "7", "seed", 7),
    ("--augment-shift", "3", "augment_shift", 3),
    ("--augment-degrees", "10", "augment_degrees", 10.0),
    ("--early-stopping", "2", "early_stopping", 2),
]


def test_every_option_of_the_recipe_has_a_case_here():
    assert {case[0] for case in OPTION_CASES} == set(cli.RECIPE_OPTIONS.values())
    network_shape = {"channels", "kernel_size", "padding",   # set by the presets
                     "patch", "dim", "depth", "heads"}
    recipe_fields = {f.name for f in fields(TrainConfig)}
    assert set(cli.RECIPE_OPTIONS) == recipe_fields - network_shape


@pytest.mark.parametrize("preset", sorted(PRESETS))
@pytest.mark.parametrize(("option", "text", "field", "value"), OPTION_CASES,
                         ids=[case[0] for case in OPTION_CASES])
def test_each_option_reaches_the_recipe_of_each_preset(preset, option, text, field,
                                                       value):
    base = PRESETS[preset]
    assert getattr(base, field) != value            # else the case proves nothing
    flags = [option] if text is None else [option, text]
    recipe = recipe_for("--preset", preset, *flags)
    assert getattr(recipe, field) == value
    untouched = {f.name for f in fields(TrainConfig)} - {field}
    assert {f: getattr(recipe, f) for f in untouched} == {
        f: getattr(base, f) for f in untouched}


def test_no_option_is_the_default_mlp_recipe_and_model_cnn_the_best_cnn():
    assert recipe_for() == DEFAULTS
    assert recipe_for("--preset", "best-mlp") == DEFAULTS
    assert recipe_for("--model", "cnn") == BEST_CNN
    assert recipe_for("--preset", "best-cnn") == BEST_CNN
    assert recipe_for("--model", "mlp", "--preset", "best-mlp") == DEFAULTS


def test_model_vit_is_the_best_vit_preset_and_its_options_override_it():
    assert recipe_for("--model", "vit") == BEST_VIT
    assert recipe_for("--preset", "best-vit") == BEST_VIT
    assert recipe_for("--model", "vit", "--preset", "best-vit") == BEST_VIT
    changed = recipe_for("--model", "vit", "--epochs", "3", "--lr", "0.004",
                         "--hidden", "96", "--augment-shift", "0")
    assert changed == replace(BEST_VIT, epochs=3, lr=0.004, hidden=(96,),
                              augment_shift=0)


@pytest.mark.parametrize(("model", "preset"), [
    ("vit", "best-cnn"), ("vit", "best-mlp"), ("cnn", "best-vit"), ("mlp", "best-vit")])
def test_a_model_and_a_preset_of_another_network_are_refused(model, preset, capsys):
    assert cli.main(["train", "--model", model, "--preset", preset]) == 2
    assert f"--model {model} cannot train the" in capsys.readouterr().err


@pytest.mark.parametrize(("flags", "field", "value"), [
    (["--lr", "0.004"], "lr", 0.004),          # the MLP default, not best-cnn's
    (["--epochs", "10"], "epochs", 10),
    (["--batch-size", "256"], "batch_size", 256),
    (["--hidden", "256,128"], "hidden", (256, 128)),
    (["--augment-shift", "0"], "augment_shift", 0),
])
def test_an_explicit_value_wins_over_the_preset_even_the_mlp_default(
        flags, field, value):
    assert getattr(DEFAULTS, field) == value != getattr(BEST_CNN, field)
    assert getattr(recipe_for("--preset", "best-cnn", *flags), field) == value


@pytest.fixture
def trained(monkeypatch):
    """Run ``main`` on ``TINY`` and return what it handed ``fit`` (the
    ``FitConfig``'s fields among it); trains nothing."""
    seen: dict = {}

    def watch(model, optimizer, x, y, config, **kwargs):
        seen.update(vars(config), **kwargs, model=model, optimizer=optimizer,
                    n_train=len(x))
        return History()

    monkeypatch.setattr(cli, "fit", watch)
    monkeypatch.setattr(cli.data, "load_mnist", lambda *args, **kwargs: TINY)

    def run(*flags: str) -> dict:
        seen.clear()
        assert cli.main(["train", "--quiet", "--val", "50", *flags]) == 0
        return seen
    return run


def test_preset_best_cnn_with_lr_0_004_trains_at_0_004_for_10_epochs(trained):
    seen = trained("--preset", "best-cnn", "--lr", "0.004", "--epochs", "10")
    assert type(seen["optimizer"]) is FusedAdam and seen["optimizer"].lr == 0.004
    assert seen["epochs"] == 10
    assert seen["batch_size"] == BEST_CNN.batch_size        # the rest: the preset's
    assert seen["augment"].max_shift == BEST_CNN.augment_shift > 0


def test_model_vit_trains_a_transformer_with_the_preset_s_optimizer(trained):
    seen = trained("--model", "vit", "--epochs", "2")
    assert [type(layer).__name__ for layer in seen["model"]][:2] == [
        "PatchEmbedding", "TransformerBlock"]
    assert type(seen["optimizer"]) is AdamW and seen["optimizer"].lr == BEST_VIT.lr
    assert (seen["epochs"], seen["lr_schedule"]) == (2, "warmup_cosine")


@pytest.mark.parametrize(("flags", "option"), [
    (["--activation", "relu"], "--activation"),
    (["--hidden", "64,32"], "--hidden"),
    (["--dropout", "0.1"], "--dropout"),
])
def test_an_option_a_transformer_cannot_honour_is_refused_by_name(flags, option,
                                                                  capsys):
    assert cli.main(["train", "--model", "vit", *flags]) == 2
    assert f"scratchnet train: error: argument {option}:" in capsys.readouterr().err


def test_adamw_is_adamw_for_the_cnn_too(trained):
    for preset in sorted(PRESETS):
        seen = trained("--preset", preset, "--optimizer", "adamw",
                       "--weight-decay", "0.05")
        assert type(seen["optimizer"]) is AdamW
        assert seen["optimizer"].decoupled_weight_decay == 0.05


def test_sgd_options_reach_the_optimizer(trained):
    seen = trained("--optimizer", "sgd", "--momentum", "0.5", "--nesterov",
                   "--lr", "0.03")
    opt = seen["optimizer"]
    assert type(opt) is SGD and (opt.momentum, opt.nesterov, opt.lr) == (0.5, True, 0.03)


def test_network_options_reach_the_model(trained):
    model = trained("--activation", "tanh", "--dropout", "0.3", "--hidden", "32")["model"]
    assert model.architecture == "784-32-10 tanh, dropout 0.3"
    assert any(isinstance(layer, Tanh) for layer in model)
    assert [layer.p for layer in model if isinstance(layer, Dropout)] == [0.3]
    cnn = trained("--model", "cnn", "--activation", "tanh")["model"]
    assert sum(isinstance(layer, Tanh) for layer in cnn) == 3   # 2 convs + head


def test_schedule_augmentation_early_stopping_and_seed_reach_fit(trained):
    seen = trained("--lr-schedule", "constant", "--augment-degrees", "5",
                   "--early-stopping", "2", "--seed", "3", "--batch-size", "32")
    assert (seen["lr_schedule"], seen["early_stopping"], seen["seed"],
            seen["batch_size"]) == ("constant", 2, 3, 32)
    assert seen["augment"].max_degrees == 5


def test_the_split_follows_the_resolved_recipe(trained):
    assert trained("--val", "100")["n_train"] == 200
    assert len(trained("--val", "100")["validation"][0]) == 100


def test_help_shows_a_default_for_every_train_option(capsys):
    with pytest.raises(SystemExit):
        cli.build_parser().parse_args(["train", "--help"])
    entries = capsys.readouterr().out.split("\n  -")[1:]   # one per option
    helps = {entry.split()[0].rstrip(","): " ".join(entry.split()) for entry in entries}
    for option in [*cli.RECIPE_OPTIONS.values(), "--preset", "--model", "--save"]:
        assert "(default: " in helps[option[1:]], option    # "-" split off


def test_an_unknown_preset_is_refused(capsys):
    assert cli.main(["train", "--preset", "best-rnn"]) == 2
    assert "invalid choice: 'best-rnn'" in capsys.readouterr().err


def test_model_cnn_with_an_mlp_preset_is_an_error(monkeypatch, capsys):
    monkeypatch.setattr(cli.data, "load_mnist", lambda *args, **kwargs: TINY)
    assert cli.main(["train", "--model", "cnn", "--preset", "best-mlp",
                     "--val", "50"]) == 2
    assert "--model cnn cannot train the MLP preset 'best-mlp'" in (
        capsys.readouterr().err)


def test_a_refused_value_names_its_option_even_when_only_the_pair_fails(capsys):
    assert cli.main(["train", "--optimizer", "sgd", "--momentum", "0",
                     "--nesterov"]) == 2
    err = capsys.readouterr().err
    assert "--momentum" in err and "--nesterov" in err and "needs momentum > 0" in err
    assert cli.main(["train", "--early-stopping", "2", "--val", "0"]) == 2
    assert "early stopping needs a validation set" in capsys.readouterr().err


def test_a_diverging_run_exits_3_and_says_which_lr_to_try(monkeypatch, capsys):
    monkeypatch.setattr(cli.data, "load_mnist", lambda *args, **kwargs: TINY)
    status = cli.main(["train", "--quiet", "--val", "50", "--epochs", "2",
                       "--hidden", "16", "--lr", "1e6", "--optimizer", "sgd",
                       "--momentum", "0", "--json"])
    out, err = capsys.readouterr()
    assert status == 3
    assert json.loads(out.strip().splitlines()[-1])["exit_code"] == 3
    assert "scratchnet: training diverged:" in err and "try --lr 0.004" in err


def test_train_cnn_save_evaluate_round_trip_on_a_tiny_data_set(
        tmp_path: Path, monkeypatch, capsys):
    monkeypatch.setattr(cli.data, "load_mnist", lambda *args, **kwargs: TINY)
    path = tmp_path / "cnn.npz"
    assert cli.main(["train", "--model", "cnn", "--epochs", "1", "--val", "50",
                     "--quiet", "--save", str(path), "--json"]) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert result["model"] == "cnn" and result["epochs"] == 1
    assert result["n_train"] == 250 and result["n_test"] == 50
    assert cli.main(["evaluate", str(path), "--json"]) == 0
    report = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert report["test_accuracy"] == pytest.approx(result["test_accuracy"])
