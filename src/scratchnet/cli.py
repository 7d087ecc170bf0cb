"""The ``scratchnet`` command: fetch the data, train, evaluate.

    scratchnet data fetch            download and verify MNIST into the cache
    scratchnet data info             where the files are and whether they verify
    scratchnet train --json          train the default MLP, report test accuracy
    scratchnet train --model vit     train the book's vision transformer instead
    scratchnet evaluate model.npz    accuracy, per-class accuracy, confusion matrix
    scratchnet export model.npz      weights as JSON for the book's browser page

With ``--json`` the last line of standard output is one JSON object, so
scripts and CI can read the result without parsing tables; when the command
fails, that object is ``{"error": "...", "exit_code": N}``.

Exit status: 0 success; 1 the environment failed (a file, the network,
memory, standard output); 2 the request was wrong (a flag's value, an
unwritable output); 3 training diverged; 130 interrupted (Ctrl-C); 143
terminated (SIGTERM). Outputs are checked before the work (never an input of
the same run, never anything but a regular file) and written only when it
succeeded, so a failed or interrupted run replaces nothing; if it fails after
a file was written (standard output broke, a signal came), the message says
which. An exception of any other kind is a bug in scratchnet and keeps its
traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import json
import math
import os
import signal
import sys
import threading
import time
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import asdict, replace
from pathlib import Path
from types import FrameType
from typing import Any

import numpy as np

from scratchnet import __version__, atomic, data, metrics, model_file
from scratchnet.errors import UsageError, check_whole
from scratchnet.layers import ACTIVATIONS, INITS
from scratchnet.model import ModelFileError, Sequential
from scratchnet.optim import OPTIMIZERS, SCHEDULES, Optimizer
from scratchnet.presets import DEFAULTS, PRESETS, TrainConfig
from scratchnet.train import (
    TrainingDiverged,
    evaluate,
    fit,
    suggest_lr,
)

EXIT_FAILURE, EXIT_USAGE, EXIT_DIVERGED = 1, 2, 3
MNIST_SIDE, MNIST_CLASSES = 28, 10
EXIT_INTERRUPTED, EXIT_TERMINATED = 130, 143   # 128 + SIGINT, 128 + SIGTERM
RUNTIME_FAILURES = (OSError, MemoryError, data.ChecksumError,
                    data.IDXFormatError, ModelFileError)
"""What the environment, not the request, got wrong: exit status 1."""


class _ArgumentError(UsageError):
    """argparse's complaint, with a pointer to the help of the command it concerns."""

    def __init__(self, message: str, prog: str) -> None:
        super().__init__(message)
        self.hint = f"scratchnet: see '{prog} --help'"


class _Terminated(BaseException):
    """SIGTERM, raised like Ctrl-C's KeyboardInterrupt so ``finally`` blocks
    run and remove temporary files (the default handler would just die)."""


class _Parser(argparse.ArgumentParser):
    """Raises ``_ArgumentError`` instead of exiting, so ``main`` reports it
    like every other failure (and as JSON with ``--json``)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise _ArgumentError(f"{self.prog}: error: {message}", self.prog)


def _whole(text: str) -> int:
    """Parse a whole number; whether it is in range is the package's to say."""
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}"
                                         ) from None


def _number(text: str) -> float:
    """A finite number: no option of scratchnet means anything by inf or NaN."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected a finite number, got {text!r}")
    return value


def _output_path(text: str) -> Path:
    """A file to write: ``models/`` names a directory, not a file to create."""
    if not text:
        raise argparse.ArgumentTypeError("expected a file name, got ''")
    if text.endswith(("/", os.sep)):
        raise argparse.ArgumentTypeError(
            f"{text!r} names a directory; give a file name, e.g. {text}model.npz")
    return Path(text)


def _directory(text: str) -> Path:
    """A directory, ``~`` expanded here so that failing to is named as the option's."""
    if not text:
        raise argparse.ArgumentTypeError("expected a directory, got '' (use . "
                                         "for the current one)")
    try:
        return Path(text).expanduser()
    except RuntimeError:
        raise argparse.ArgumentTypeError(
            f"cannot expand '~' in {text!r}: this user has no home directory "
            "($HOME is unset and the password database has no entry)") from None


def _hidden_sizes(text: str) -> list[int]:
    """Parse ``"256,128"`` into ``[256, 128]``; ``""`` means no hidden layer."""
    if not text.strip():
        return []
    return [_whole(part) for part in text.split(",")]


class _Help(argparse.ArgumentDefaultsHelpFormatter):
    """``--help`` shows every default: typed into the help, or added by argparse."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        if "default" in text or action.default in (None, argparse.SUPPRESS):
            return text
        return super()._get_help_string(action) or text


MODEL_PRESETS = {"mlp": "best-mlp", "cnn": "best-cnn", "vit": "best-vit"}
"""The preset ``scratchnet train --model KIND`` trains without ``--preset``."""

RECIPE_OPTIONS: dict[str, str] = {
    "hidden": "--hidden", "activation": "--activation", "dropout": "--dropout",
    "init": "--init", "optimizer": "--optimizer", "lr": "--lr",
    "momentum": "--momentum", "nesterov": "--nesterov",
    "weight_decay": "--weight-decay", "lr_schedule": "--lr-schedule",
    "epochs": "--epochs", "batch_size": "--batch-size", "n_val": "--val",
    "seed": "--seed", "augment_shift": "--augment-shift",
    "augment_degrees": "--augment-degrees", "early_stopping": "--early-stopping",
}
"""The option of each ``TrainConfig`` field the command line sets."""


def _add_recipe_options(train_p: argparse.ArgumentParser) -> None:
    """One option per recipe field, each defaulting to "not given" (None), so
    a value typed on the command line always wins over the preset's."""
    d = DEFAULTS

    def option(field: str, help: str, default: Any = None, **kwargs: Any) -> None:
        default = getattr(d, field) if default is None else default
        if isinstance(default, tuple):
            default = ",".join(map(str, default))
        train_p.add_argument(RECIPE_OPTIONS[field], dest=field, default=None,
                             help=f"{help} (default: the preset's, else {default})",
                             **kwargs)

    option("hidden", "hidden layer sizes, comma separated (a transformer: the "
           "one width of its feed-forward layers)", type=_hidden_sizes)
    option("activation", "activation of the hidden layers",
           choices=sorted(ACTIVATIONS))
    option("dropout", "dropout probability after each hidden layer", type=_number)
    option("init", "weight initialisation", choices=INITS,
           default="he for ReLU-like activations, glorot for the others")
    option("optimizer", "optimizer", choices=sorted(OPTIMIZERS))
    option("lr", "learning rate", type=_number)
    option("momentum", "SGD momentum", type=_number)
    option("nesterov", "Nesterov momentum for SGD",
           action=argparse.BooleanOptionalAction)
    option("weight_decay", "weight decay (L2; decoupled for adamw)", type=_number)
    option("lr_schedule", "learning-rate schedule", choices=sorted(SCHEDULES))
    option("epochs", "passes over the training set", type=_whole)
    option("batch_size", "images per update", type=_whole)
    option("n_val", "training images held out for validation", type=_whole,
           metavar="N")
    option("seed", "seed of the weights, the split and the batches", type=_whole)
    option("augment_shift", "shift training digits at random by up to this many "
           "pixels", type=_whole, metavar="PIXELS")
    option("augment_degrees", "rotate training digits at random by up to this "
           "many degrees", type=_number, metavar="DEGREES")
    option("early_stopping", "stop after this many epochs without a better "
           "validation loss, keeping the best weights (0: never)", type=_whole,
           metavar="EPOCHS")


def _add_data_options(parser: argparse.ArgumentParser, default: Any) -> None:
    """``--data-dir`` and ``--timeout``, before or after the subcommand.

    After it they default to ``SUPPRESS``, so a value given before it stays.
    """
    parser.add_argument("--data-dir", type=_directory, default=default,
                        metavar="DIR",
                        help="MNIST cache directory (default: $SCRATCHNET_DATA "
                             "or the per-user cache)")
    parser.add_argument("--timeout", type=_number, default=default,
                        metavar="SECONDS",
                        help="how long to wait for a download source to "
                             "connect or send more (default: "
                             f"$SCRATCHNET_TIMEOUT or {data.DEFAULT_TIMEOUT:g})")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="scratchnet",
        description="Neural networks from scratch in NumPy, on real MNIST.",
        epilog="exit status: 0 ok, 1 failure, 2 usage, 3 training diverged, "
               "130 interrupted, 143 terminated",
        formatter_class=_Help,
    )
    parser.add_argument("--version", action="version",
                        version=f"scratchnet {__version__}")
    _add_data_options(parser, default=None)
    shared = argparse.ArgumentParser(add_help=False)
    _add_data_options(shared, default=argparse.SUPPRESS)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(parent: Any, name: str, help: str) -> argparse.ArgumentParser:
        leaf = name != "data"
        return parent.add_parser(name, help=help, formatter_class=_Help,
                                 parents=[shared] if leaf else [])

    data_p = command(sub, "data", "fetch or inspect the MNIST files")
    data_sub = data_p.add_subparsers(dest="data_command", required=True,
                                     metavar="ACTION")
    fetch_p = command(data_sub, "fetch", "download and verify MNIST")
    fetch_p.add_argument("--quiet", action="store_true", help="no progress bar")
    fetch_p.add_argument("--json", action="store_true", help="end with one JSON line")
    info_p = command(data_sub, "info", "show the cached files and checks")
    info_p.add_argument("--json", action="store_true", help="print JSON")

    train_p = command(sub, "train", "train an MLP, a CNN or a transformer on MNIST")
    train_p.add_argument("--preset", choices=sorted(PRESETS), default=None,
                         help="a named recipe; every option given overrides it "
                              "(default: best-mlp, or best-cnn with --model cnn, "
                              "best-vit with --model vit)")
    train_p.add_argument("--model", choices=sorted(MODEL_PRESETS), default=None,
                         help="the network of the preset (default: mlp; "
                              "cnn alone trains the best-cnn preset, vit the "
                              "best-vit one)")
    _add_recipe_options(train_p)
    train_p.set_defaults(prog=train_p.prog)
    train_p.add_argument("--save", type=_output_path, default=None, metavar="PATH",
                         help="save the trained model as .npz (default: not saved)")
    train_p.add_argument("--json", action="store_true",
                         help="end with one JSON line of results")
    train_p.add_argument("--quiet", action="store_true", help="no progress bars")

    eval_p = command(sub, "evaluate", "evaluate a saved model")
    eval_p.add_argument("model", type=Path, help="a model saved by train --save")
    eval_p.add_argument("--json", action="store_true", help="print JSON")

    export_p = command(sub, "export", "export a saved MLP for the web")
    export_p.add_argument("model", type=Path, help="a model saved by train --save")
    export_p.add_argument("--format", choices=["json"], default="json",
                          help="output format")
    export_p.add_argument("--out", type=_output_path, default=None, metavar="PATH",
                          help="where to write the model (default: MODEL "
                               "with the suffix .json)")
    export_p.add_argument("--json", action="store_true",
                          help="end with one JSON line")
    export_p.add_argument("--samples", type=_whole, default=0, metavar="N",
                          help="also write N test digits with the model's "
                               "predictions, some wrong, to "
                               "PATH's stem + '.samples.json' (default: 0)")
    return parser


def _cmd_data_fetch(args: argparse.Namespace) -> int:
    paths = data.fetch_mnist(args.data_dir, progress=not args.quiet,
                             timeout=args.timeout)
    for name, path in paths.items():
        print(f"{name:26s} {path}")
    if args.json:
        print(json.dumps({"files": {name: str(p) for name, p in paths.items()}}))
    return 0


def _cmd_data_info(args: argparse.Namespace) -> int:
    info = data.mnist_info(args.data_dir)
    status = 0 if info["complete"] else EXIT_FAILURE
    problem = ("the MNIST cache is incomplete; `scratchnet data fetch` "
               "downloads what is missing")
    if args.json:
        if status:
            info.update(error=f"scratchnet: {problem}", exit_code=status)
            print(f"scratchnet: {problem}", file=sys.stderr)
        print(json.dumps(info, default=str))
        return status
    print(f"directory: {info['directory']}")
    for name, f in info["files"].items():
        state = "verified" if f["verified"] else (f["problem"] or "missing")
        print(f"  {name:26s} {state}")
    for split in ("train", "test"):
        if split in info:
            s = info[split]
            print(f"{split}: images {tuple(s['images_shape'])}, "
                  f"labels {tuple(s['labels_shape'])}")
            print(f"  label counts 0..9: {' '.join(map(str, s['label_counts']))}")
    if status:
        print(f"scratchnet: {problem}", file=sys.stderr)
    return status


def recipe_from_args(args: argparse.Namespace) -> TrainConfig:
    """The recipe ``scratchnet train`` trains: the preset, then each option given.

    The preset is ``--preset``, else the one of ``--model``
    (``MODEL_PRESETS``), else best-mlp. An option given on the command line
    always wins, even when its value is the MLP default.
    """
    name = args.preset or MODEL_PRESETS[args.model or "mlp"]
    preset = PRESETS[name]
    kind = preset.kind
    if args.model not in (None, kind):
        raise UsageError(f"--model {args.model} cannot train the "
                         f"{kind.upper()} preset {name!r}")
    given = {field: getattr(args, field) for field in RECIPE_OPTIONS
             if getattr(args, field, None) is not None}
    if "hidden" in given:
        given["hidden"] = tuple(given["hidden"])
    return replace(preset, **given)


def _build(recipe: TrainConfig) -> tuple[Sequential, Optimizer]:
    """The model and optimizer of ``recipe``, once its every number is checked.

    The package's own constructors and checks judge the values; this only
    runs them before the data is read. MNIST rows have 784 pixels.
    """
    recipe.validate()
    if recipe.augment_shift is not None and recipe.augment_shift >= MNIST_SIDE:
        raise ValueError(f"augment_shift must be below {MNIST_SIDE} (the digits "
                         f"are {MNIST_SIDE} pixels wide), got {recipe.augment_shift}")
    model = recipe.build_model(n_in=784)
    return model, recipe.build_optimizer(model.parameters())


def _build_or_blame(recipe: TrainConfig, args: argparse.Namespace,
                    prog: str) -> tuple[Sequential, Optimizer]:
    """``_build``; if a value is refused, an ``_ArgumentError`` naming its option.

    The culprit is found by trying each given option alone on the preset;
    when only their combination fails, all of them are named.
    """
    try:
        return _build(recipe)
    except (TypeError, ValueError, OverflowError) as err:
        given = {f: getattr(recipe, f) for f in RECIPE_OPTIONS
                 if getattr(args, f, None) is not None}
        base = argparse.Namespace(**{**vars(args), **dict.fromkeys(RECIPE_OPTIONS)})
        for field, value in given.items():
            try:
                _build(replace(recipe_from_args(base), **{field: value}))
            except (TypeError, ValueError, OverflowError):
                option = RECIPE_OPTIONS[field]
                raise _ArgumentError(f"scratchnet train: error: argument {option}: "
                                    f"{err}", prog) from err
        options = ", ".join(RECIPE_OPTIONS[f] for f in given) or "the preset"
        raise UsageError(f"{options}: {err}") from err


def _check_output(option: str, path: Path,
                  inputs: dict[Path, str] | None = None) -> None:
    """Refuse now, before any work, an output path that could not be written,
    or that is one of the run's ``inputs`` (path -> what it is)."""
    for source, what in (inputs or {}).items():
        if _same_file(path, source):
            raise UsageError(f"{option} {path}: that is {what}, read by this "
                             "run; writing it would destroy it")
    try:
        data.check_writable(path)
    except OSError as err:
        why = err.strerror if err.filename == str(path) else _os_message(err)
        raise UsageError(f"{option} {path}: cannot write there: {why}") from err


def _same_file(a: Path, b: Path) -> bool:
    """Whether writing ``a`` would change ``b``: one file by name, link or inode."""
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.realpath(a) == os.path.realpath(b)


@contextlib.contextmanager
def _writing(option: str, path: Path) -> Iterator[None]:
    """An error while writing ``path`` (a full disk) names the option and the file."""
    try:
        yield
    except OSError as err:
        why = err.strerror if err.filename == str(path) else _os_message(err)
        raise OSError(f"{option} {path}: cannot write: {why}") from err


def _probe_loss(model: Sequential, x: np.ndarray, y: np.ndarray) -> float:
    """The model's mean loss on a fixed probe; NaN or inf once it has diverged."""
    with np.errstate(all="ignore"):
        return evaluate(model, x, y)[0]


def _cmd_train(args: argparse.Namespace) -> int:
    recipe = recipe_from_args(args)
    model, optimizer = _build_or_blame(recipe, args, args.prog)
    if args.save:
        root = data.cache_dir(args.data_dir)
        _check_output("--save", args.save, {
            root / name: "an MNIST file" for name in data.MNIST_FILES})
    (x_train, y_train), (x_test, y_test) = data.load_mnist(
        args.data_dir, progress=not args.quiet, timeout=args.timeout)
    if recipe.n_val >= len(x_train):
        raise UsageError(f"--val {recipe.n_val} would leave nothing to train on: "
                         f"there are {len(x_train):,} training images")
    x_train, x_test = data.preprocess(x_train), data.preprocess(x_test)
    validation = None
    if recipe.n_val:
        (x_train, y_train), validation = data.train_val_split(
            x_train, y_train, n_val=recipe.n_val, seed=recipe.seed)
    probe = x_train[:2000], y_train[:2000]
    start_loss = _probe_loss(model, *probe)
    start = time.perf_counter()
    history = fit(model, optimizer, x_train, y_train, recipe.fit_config(),
                  validation=validation, progress=not args.quiet)
    train_seconds = time.perf_counter() - start
    end_loss = _probe_loss(model, *probe)
    if not end_loss <= start_loss * 1.001:   # beyond rounding; NaN is False too
        raise TrainingDiverged(
            f"the training loss rose from {start_loss:.4g} to {end_loss:.4g}",
            len(history), 0, end_loss, recipe.lr, suggest_lr(recipe.lr))
    test_accuracy = metrics.accuracy(y_test, model.predict(x_test))
    warned = _learning_warnings(test_accuracy, n_classes=10)
    for line in warned:
        print(f"scratchnet: WARNING: {line}", file=sys.stderr)

    result = {
        "test_accuracy": round(float(test_accuracy), 6),
        "train_seconds": round(train_seconds, 3),
        "epochs": len(history),
        "model": recipe.kind,
        "preset": args.preset,
        "architecture": model.architecture,
        "optimizer": recipe.optimizer,
        "lr": recipe.lr,
        "batch_size": recipe.batch_size,
        "seed": recipe.seed,
        "n_train": len(x_train),
        "n_val": int(recipe.n_val),
        "n_test": len(x_test),
        "val_accuracy": history.val_acc[-1] if history.val_acc else None,
        "saved_to": str(args.save) if args.save else None,
        "warnings": warned,
        "recipe": asdict(recipe),
    }
    if args.save:
        with _writing("--save", args.save):
            model.save(args.save, metadata={
                "recipe": asdict(recipe), "test_accuracy": result["test_accuracy"]})
    print(f"model:         {model.architecture}")
    print(f"trained:       {len(history)} epochs in {train_seconds:.1f} s")
    print(f"test accuracy: {100 * test_accuracy:.2f}% "
          f"on {len(x_test):,} images")
    if args.save:
        print(f"saved to:      {args.save}")
    for line in warned:
        print(f"WARNING:       {line}")
    if args.json:
        print(json.dumps(result))
    return 0


def _learning_warnings(accuracy: float, n_classes: int) -> list[str]:
    """What to warn about a run that ended no better than guessing, if it did.

    Shown on stderr, in the report on stdout and in the JSON: a model that
    learned nothing must not pass for a result.
    """
    if accuracy >= 2 / n_classes:
        return []
    return [f"test accuracy {100 * accuracy:.2f}% is close to guessing "
            f"({100 / n_classes:g}% for {n_classes} classes): the model learned "
            "almost nothing; try another --lr or more --epochs"]


def _load_model(path: Path, n_features: int = MNIST_SIDE ** 2,
                classes: int | None = None) -> tuple[Sequential, int]:
    """``Sequential.load``, proof that the model reads MNIST's rows, and the
    batch size that keeps its activations bounded.

    A file can be a consistent model of the wrong input or output size, or
    one whose every layer is small but asks a huge amount of each row (a
    padding of thousands); ``model_file.forward_cost`` says so from the
    config, before anything is run, and one forward pass of a zero row
    proves the rest, in one line instead of mid-evaluation.
    """
    model = Sequential.load(path)
    cost = model_file.forward_cost(path, [layer.config() for layer in model],
                                   n_features)
    if classes is not None and cost.outputs != classes:
        raise ModelFileError(f"{path}: this model has {cost.outputs} outputs, "
                             f"but MNIST has {classes} classes (0 to 9)")
    try:
        model.predict(np.zeros((1, n_features), np.float32))
    except ValueError as err:
        raise ModelFileError(f"{path}: this model cannot read MNIST's "
                             f"{n_features}-pixel rows: {err}") from err
    return model, cost.batch_size()


def _cmd_evaluate(args: argparse.Namespace) -> int:
    model, batch = _load_model(args.model, classes=MNIST_CLASSES)
    _, (x_test, y_test) = data.load_mnist(args.data_dir, timeout=args.timeout)
    predictions = model.predict(data.preprocess(x_test), batch_size=batch)
    accuracy = metrics.accuracy(y_test, predictions)
    per_class = metrics.per_class_accuracy(y_test, predictions)
    cm = metrics.confusion_matrix(y_test, predictions)
    print(f"model:         {model.architecture}")
    print(f"test accuracy: {100 * accuracy:.2f}% on {len(y_test):,} images")
    print("per class:     " + "  ".join(
        f"{d}:{100 * a:.1f}%" for d, a in enumerate(per_class)))
    print("confusion matrix (rows: true digit, columns: predicted):")
    print("      " + "".join(f"{d:>6d}" for d in range(10)))
    for d, row in enumerate(cm):
        print(f"{d:>6d}" + "".join(f"{v:>6d}" for v in row))
    if args.json:
        print(json.dumps({
            "test_accuracy": float(accuracy),
            "per_class_accuracy": [float(a) for a in per_class],
            "confusion_matrix": cm.tolist(),
            "architecture": model.architecture,
        }))
    return 0


def _cmd_export(args: argparse.Namespace) -> int:
    # Only this command needs the exporter.
    from scratchnet import export

    try:
        check_whole("samples", args.samples, 0)
    except ValueError as err:
        raise UsageError(f"argument --samples: {err}") from None
    out = args.out or args.model.with_suffix(".json")
    samples_out = out.with_name(out.stem + ".samples.json")
    option = "--out" if args.out else "the default --out (MODEL with .json)"
    for path in [out, samples_out] if args.samples else [out]:
        _check_output(option, path, {args.model: "the model to export"})
    model, batch = _load_model(args.model,
                               classes=MNIST_CLASSES if args.samples else None)
    metadata, dropped = export.json_safe(model.metadata)
    for key in dropped:
        warnings.warn(f"{args.model}: metadata {key} is NaN or inf, which JSON "
                      "cannot hold; exported as null", stacklevel=1)
    docs_to = {out: export.model_to_dict(model, metadata=metadata)}
    if args.samples:
        _, (x_test, y_test) = data.load_mnist(args.data_dir, progress=False,
                                              timeout=args.timeout)
        if args.samples > len(x_test):
            raise UsageError(f"--samples {args.samples}: the test set has only "
                             f"{len(x_test):,} images")
        docs_to[samples_out] = export.sample_test_images(
            model, x_test, y_test, n=args.samples, batch_size=batch)
    # Written only now that every document exists: a failure leaves nothing.
    written = []
    for path, doc in docs_to.items():
        with _writing(option, path):
            written.append(export.write_json(doc, path))
    print(f"model:         {model.architecture}")
    for path in written:
        print(f"wrote:         {path} ({path.stat().st_size:,} bytes)")
    if args.json:
        print(json.dumps({"architecture": model.architecture,
                          "written": [str(p) for p in written]}))
    return 0


COMMANDS = {
    ("data", "fetch"): _cmd_data_fetch,
    ("data", "info"): _cmd_data_info,
    ("train", None): _cmd_train,
    ("evaluate", None): _cmd_evaluate,
    ("export", None): _cmd_export,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the process exit status (see the module)."""
    as_program, argv = argv is None, sys.argv[1:] if argv is None else list(argv)
    as_json = _wants_json(argv)       # until the arguments are parsed
    with _guarded_streams(), _signals_raise(as_program), _one_line_warnings(), \
            atomic.journal() as written:
        try:
            args = build_parser().parse_args(argv)
            as_json = getattr(args, "json", False)
            handler = COMMANDS[(args.command, getattr(args, "data_command", None))]
            _check_timeout(args.timeout)
            status = handler(args)
            sys.stdout.flush()        # a full disk or a closed pipe shows here
            return status
        except BaseException as err:  # sorted below, or raised again
            failure = _failure(err)
            if failure is None:
                raise             # a bug (or SystemExit from --help): as is
            status, message = failure
            if written:
                message += ("; written before that: "
                            + ", ".join(map(str, dict.fromkeys(written))))
            hint = getattr(err, "hint", None)
            print(message + (f"\n{hint}" if hint else ""), file=sys.stderr)
            if as_json and not isinstance(err, _StdoutFailed):
                with contextlib.suppress(_StdoutFailed):
                    print(json.dumps({"error": message, "exit_code": status}))
                    sys.stdout.flush()
            return status


def _wants_json(argv: Sequence[str]) -> bool:
    """Whether ``argv`` asks for ``--json``, as argparse would read it (which
    takes ``--js`` for ``--json``), even when the arguments do not parse."""
    return any(arg.split("=", 1)[0] in ("--j", "--js", "--jso", "--json")
               for arg in argv)


class _StdoutFailed(OSError):
    """Standard output cannot be written (a closed pipe, a full disk)."""


class _Stdout:
    """``sys.stdout`` whose failures are ``_StdoutFailed``, so they are told
    apart from the failures of the files a command reads and writes."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        try:
            return int(self._stream.write(text))
        except (OSError, ValueError) as err:
            raise self._failed(err) from err

    def flush(self) -> None:
        try:
            self._stream.flush()
        except (OSError, ValueError) as err:
            raise self._failed(err) from err

    def _failed(self, err: Exception) -> _StdoutFailed:
        if self._stream is sys.__stdout__:      # nothing more goes there, and
            _silence(1)                         # Python's exit flush is quiet
        why = err.strerror if isinstance(err, OSError) else str(err)
        return _StdoutFailed(getattr(err, "errno", None) or errno.EIO,
                             f"cannot write to standard output: {why}")

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


class _Stderr(_Stdout):
    """``sys.stderr`` that never fails: a message that cannot be shown must not
    stop the JSON line, nor turn into another error."""

    def write(self, text: str) -> int:
        with contextlib.suppress(OSError, ValueError):
            self._stream.write(text)
        return len(text)

    def flush(self) -> None:
        with contextlib.suppress(OSError, ValueError):
            self._stream.flush()


def _silence(fd: int) -> None:
    """Point file descriptor ``fd`` at the null device."""
    null = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(null, fd)
    finally:
        os.close(null)


@contextlib.contextmanager
def _guarded_streams() -> Iterator[None]:
    """Standard output and error that fail in the ways ``main`` reports.

    A descriptor 1 or 2 closed by the caller (``2>&-``, as cron may) is
    pointed at the null device first, so that no file the command opens
    takes its number and receives stray output.
    """
    for fd in (1, 2):
        try:
            os.fstat(fd)
        except OSError:
            _silence(fd)
    stdout, stderr = sys.stdout, sys.stderr
    sys.stdout = _Stdout(stdout if stdout is not None
                         else open(os.devnull, "w"))
    sys.stderr = _Stderr(stderr if stderr is not None
                         else open(os.devnull, "w"))
    try:
        yield
    finally:
        sys.stdout, sys.stderr = stdout, stderr


def _check_timeout(timeout: float | None) -> None:
    """A bad ``--timeout`` (or ``$SCRATCHNET_TIMEOUT``) fails now, named."""
    try:
        data.sources.timeout_seconds(timeout)
    except UsageError as err:
        if timeout is None:
            raise
        raise UsageError(f"--timeout {timeout:g}: {err}") from None


def _failure(err: BaseException) -> tuple[int, str] | None:
    """The exit status and message for a failure we can explain, else None."""
    if isinstance(err, _ArgumentError):
        return EXIT_USAGE, str(err)
    if isinstance(err, UsageError):
        return EXIT_USAGE, f"scratchnet: error: {err}"
    if isinstance(err, TrainingDiverged):
        return EXIT_DIVERGED, f"scratchnet: training diverged: {err.explain('--lr ')}"
    if isinstance(err, KeyboardInterrupt):
        return EXIT_INTERRUPTED, "scratchnet: interrupted"
    if isinstance(err, _Terminated):
        return EXIT_TERMINATED, "scratchnet: terminated"
    if isinstance(err, data.MNISTUnavailableError):
        return EXIT_FAILURE, f"scratchnet: error: {err.explain('use --data-dir DIR')}"
    if isinstance(err, _StdoutFailed):
        return EXIT_FAILURE, f"scratchnet: error: {err.strerror}"
    if isinstance(err, OSError):
        return EXIT_FAILURE, f"scratchnet: error: {_os_message(err)}"
    if isinstance(err, MemoryError):
        return EXIT_FAILURE, f"scratchnet: error: out of memory: {err}"
    if isinstance(err, RUNTIME_FAILURES):
        return EXIT_FAILURE, f"scratchnet: error: {err}"
    return None


def _os_message(err: OSError) -> str:
    """``/path: Permission denied``, not ``[Errno 13] Permission denied: '/path'``."""
    if err.filename is None:
        return str(err)
    target = f" -> {err.filename2}" if err.filename2 else ""
    return f"{err.filename}{target}: {err.strerror or err}"


@contextlib.contextmanager
def _signals_raise(as_program: bool = False) -> Iterator[None]:
    """While the command runs, SIGINT raises ``KeyboardInterrupt`` and SIGTERM
    ``_Terminated`` (main thread only), once: the first one ignores both for
    the rest of the run, so that a burst of Ctrl-C cannot interrupt the
    clean-up and the message of the first. ``as_program``: the process ends
    with the run, so after a signal they stay ignored until it has (Python
    would otherwise restore the default, and the burst's last Ctrl-C could
    kill it on its way out)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    wanted = {signal.SIGTERM: _Terminated, signal.SIGINT: KeyboardInterrupt}
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        del wanted[signal.SIGINT]       # started in the background: keep it so

    def raise_once(signum: int, frame: FrameType | None) -> None:
        for s in wanted:
            signal.signal(s, signal.SIG_IGN)
        raise wanted[signal.Signals(signum)]()

    previous = {s: signal.signal(s, raise_once) for s in wanted}
    try:
        yield
    finally:
        signalled = signal.getsignal(signal.SIGTERM) is signal.SIG_IGN
        if not (as_program and signalled):
            for s, handler in previous.items():
                signal.signal(s, handler)


@contextlib.contextmanager
def _one_line_warnings() -> Iterator[None]:
    """Warnings as ``scratchnet: warning: ...``, without a line of our source."""
    def show(message: Warning | str, category: type[Warning], filename: str,
             lineno: int, file: Any = None, line: str | None = None) -> None:
        print(f"scratchnet: warning: {message}", file=sys.stderr)

    with warnings.catch_warnings():
        warnings.showwarning = show
        yield


if __name__ == "__main__":
    sys.exit(main())
