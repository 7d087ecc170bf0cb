"""``python -m benchmarks [--quick] [--json] [--threads N]``

Runs every comparison in this one process, one after the other on the same
data, prints a table, and with ``--json`` ends with one JSON line of results.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

from scratchnet import metrics
from scratchnet.presets import DEFAULTS
from scratchnet.train import FitConfig, fit

from . import accuracy, cnn, mlp, system, vit
from .common import BATCH, cycle, interleaved, machine, mlp_matmul_flops, mnist

TARGETS = {  # key: (comparison, bound) — what the project promises
    "ratio_vs_torch": ("<=", 0.90),
    "overhead_vs_bare": ("<=", 1.05),
    "fraction_of_sgemm_peak": (">=", 0.70),
    "seconds_to_98": ("<=", 10.0),
    "speedup_to_85": (">=", 100.0),
    "cnn_ratio_vs_torch": ("<=", 2.0),
    "vit_ratio_vs_torch": ("<=", 2.0),
    "memory_ratio": ("<=", 2.0),
}


SWEEP_BATCHES = (32, 64, 128, 256, 512, 1024)
QUARTERS = 4


def _rows(results: dict, notes: dict) -> list[str]:
    lines = [f"{'measure':28s} {'value':>12s}  target", "-" * 56]
    for key, value in results.items():
        if key == "machine" or isinstance(value, dict):
            continue
        shown = "n/a" if value is None else (
            f"{value:12.3f}" if isinstance(value, float) else f"{value!s:>12s}")
        target = TARGETS.get(key)
        mark = ""
        if target and value is not None:
            op, bound = target
            ok = value <= bound if op == "<=" else value >= bound
            mark = f"{op} {bound:g}  {'ok' if ok else 'MISSED'}"
        lines.append(f"{key:28s} {shown:>12s}  {mark}{notes.get(key, '')}")
    by_batch = results.get("fraction_of_sgemm_peak_by_batch", {})
    if by_batch:
        lines.append("fraction of peak by batch:  " + "  ".join(
            f"{b}: {f:.2f}" for b, f in by_batch.items()))
    return lines


def save(results: dict, path: Path | None) -> None:
    """Write the results as JSON to ``path``, if one was given."""
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(results, indent=2, default=float) + "\n")


def run(quick: bool, threads: int, output: Path | None = None
        ) -> tuple[dict, dict]:
    """Every row, in order; ``output`` is saved before the long book build,
    so the book being built (whose Performance chapter reads it) and a
    failure in that last row both find the other rows already saved."""
    results: dict = {"machine": machine(), "threads": threads, "quick": quick,
                     "date": time.strftime("%Y-%m-%d"), "targets": TARGETS}
    notes: dict = {}
    d = mnist()
    repeats = 2 if quick else 3
    # The head-to-head rows are short, so they take many turns: their
    # ratios are the targets, and on a shared machine the median of many
    # same-round pairs is far steadier than a few long runs.
    turns = 4 if quick else 8
    order = np.random.default_rng(0).permutation(len(d.x_train))

    print("mlp epoch: scratchnet, bare NumPy, PyTorch, sgemm peak ...",
          file=sys.stderr)
    # Each turn trains a quarter of the epoch (the next quarter, round and
    # round): four times the pairs, each over a quarter of the time, so a
    # slow spell of the machine is likelier to hit both runs of a pair.
    x, y = d.x_train, d.y_train
    quarters = np.array_split(order, QUARTERS)
    contenders = {
        "scratchnet": cycle([mlp.scratchnet_epoch(x, y, q) for q in quarters]),
        "bare": cycle([mlp.bare_numpy_epoch(x, y, q) for q in quarters]),
        "products": cycle([mlp.products_epoch(rows)
                           for rows in np.array_split(x, QUARTERS)]),
    }
    # The peak takes turns with them, so both see the same machine.
    product, product_flops = system.sgemm()
    contenders["sgemm"] = product
    torch_fns = [mlp.torch_epoch(x, y, q, threads) for q in quarters]
    has_torch = torch_fns[0] is not None
    if has_torch:
        contenders["torch"] = cycle(torch_fns)
    else:
        notes["ratio_vs_torch"] = "  (PyTorch not installed: row skipped)"
    epoch = interleaved(contenders, QUARTERS * turns)

    def epoch_seconds(name: str) -> float:
        return QUARTERS * epoch.best(name)      # the fastest quarter, x 4

    results["mlp_quarter_epoch_seconds"] = {          # every turn
        name: t for name, t in epoch.seconds.items() if name != "sgemm"}
    results["scratchnet_epoch_seconds"] = epoch_seconds("scratchnet")
    results["bare_epoch_seconds"] = epoch_seconds("bare")
    results["torch_epoch_seconds"] = (epoch_seconds("torch") if has_torch
                                      else None)
    results["ratio_vs_torch"] = (epoch.ratio("scratchnet", "torch")
                                 if has_torch else None)
    # Plain against plain: the bare loop is the package's printed code written
    # out (a new array for each ReLU, the loss on a copy of the logits,
    # zero_grad then x.T @ g added into the gradient arrays; see
    # mlp.bare_numpy_epoch), so the ratio is the classes' cost alone.
    results["overhead_vs_bare"] = epoch.ratio("scratchnet", "bare")
    results["bare_loop"] = mlp.BARE_LOOP
    # With no classes at all: how close plain NumPy gets to PyTorch here.
    results["bare_ratio_vs_torch"] = (epoch.ratio("bare", "torch")
                                      if has_torch else None)

    peak = product_flops / epoch.best("sgemm") / 1e9
    flops = mlp_matmul_flops(len(d.x_train))
    achieved = flops / results["scratchnet_epoch_seconds"] / 1e9
    results["sgemm_gflops"] = peak
    results["training_gflops"] = achieved
    results["fraction_of_sgemm_peak"] = achieved / peak
    results["products_fraction_of_sgemm_peak"] = (
        flops / epoch_seconds("products") / 1e9 / peak)

    print("fraction of peak by batch size ...", file=sys.stderr)
    sweep = {str(b): mlp.scratchnet_epoch(d.x_train, d.y_train, order, b)
             for b in SWEEP_BATCHES}
    by_batch = interleaved(sweep, repeats)
    results["fraction_of_sgemm_peak_by_batch"] = {
        b: flops / by_batch.best(b) / 1e9 / peak for b in sweep}

    print("time to accuracy ...", file=sys.stderr)
    results["seconds_to_98"] = accuracy.seconds_to_98(d)
    ours = accuracy.scratchnet_seconds_to(d, 0.85)
    seed = accuracy.seed_notebook_seconds_to(d, 0.85,
                                             max_seconds=150 if quick else 300)
    results["seconds_to_85"] = ours
    results["seed_notebook_seconds_to_85"] = seed
    results["speedup_to_85"] = seed / ours if seed and ours else None

    print("inference ...", file=sys.stderr)
    model = DEFAULTS.build_model()
    fit(model, DEFAULTS.build_optimizer(model.parameters()), d.x_train, d.y_train,
        FitConfig(epochs=1))
    start = time.perf_counter()
    for _ in range(repeats):
        predictions = model.predict(d.x_test)
    results["inference_images_per_second"] = (
        repeats * len(d.x_test) / (time.perf_counter() - start))
    results["inference_accuracy_after_1_epoch"] = metrics.accuracy(
        d.y_test, predictions)

    print("memory ...", file=sys.stderr)
    memory = system.peak_training_memory(threads)
    results["peak_rss_mb"] = memory["peak_rss_bytes"] / 2**20
    results["memory_ratio"] = memory["peak_rss_bytes"] / memory["needed_bytes"]

    print("cnn: scratchnet, PyTorch ...", file=sys.stderr)
    steps = 15 if quick else 30
    images = steps * cnn.RECIPE.batch_size
    contenders = {"scratchnet": cnn.scratchnet_steps(d.x_train, d.y_train,
                                                     order, steps)}
    torch_fn = cnn.torch_steps(d.x_train, d.y_train, order, steps, threads)
    has_torch = torch_fn is not None
    if has_torch:
        contenders["torch"] = torch_fn
    else:
        notes["cnn_ratio_vs_torch"] = "  (PyTorch not installed: row skipped)"
    for fn in contenders.values():
        fn()  # warm up: first-call allocations, thread pools
    seconds = interleaved(contenders, 2 * turns)
    results["cnn_run_seconds"] = seconds.seconds               # every turn
    results["cnn_images_per_second"] = images / seconds.best("scratchnet")
    results["torch_cnn_images_per_second"] = (
        images / seconds.best("torch") if has_torch else None)
    results["cnn_ratio_vs_torch"] = (seconds.ratio("scratchnet", "torch")
                                     if has_torch else None)

    print("vit: scratchnet, PyTorch ...", file=sys.stderr)
    steps = 10 if quick else 20
    contenders = {"scratchnet": vit.scratchnet_steps(d.x_train, d.y_train,
                                                     order, steps)}
    torch_fn = vit.torch_steps(d.x_train, d.y_train, order, steps, threads)
    if torch_fn is not None:
        contenders["torch"] = torch_fn
    else:
        notes["vit_ratio_vs_torch"] = "  (PyTorch not installed: row skipped)"
    for fn in contenders.values():
        fn()  # warm up
    seconds = interleaved(contenders, 2 * turns)
    results["vit_images_per_second"] = steps * BATCH / seconds.best("scratchnet")
    results["torch_vit_images_per_second"] = (
        steps * BATCH / seconds.best("torch") if torch_fn is not None else None)
    results["vit_ratio_vs_torch"] = (seconds.ratio("scratchnet", "torch")
                                     if torch_fn is not None else None)

    if not quick:
        save(results, output)
        print("book build (clean, then cached) ...", file=sys.stderr)
        try:
            results.update(system.book_build_seconds())
        except RuntimeError as error:  # keep every other row of the run
            print(error, file=sys.stderr)
            results["book_clean_seconds"] = results["book_cached_seconds"] = None
            notes["book_clean_seconds"] = "  (the build failed: see above)"
    return results, notes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="fewer repeats, no book build (under 3 minutes)")
    parser.add_argument("--json", action="store_true",
                        help="end with one JSON line of results")
    parser.add_argument("--output", type=Path, metavar="FILE",
                        help="also write the results to FILE as JSON")
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1,
                        help="BLAS/PyTorch threads for every contender")
    args = parser.parse_args(argv)
    if args.threads < 1:
        parser.error(f"--threads must be >= 1, got {args.threads}")
    with threadpool_limits(args.threads):
        results, notes = run(args.quick, args.threads, args.output)
    print("\n".join(_rows(results, notes)))
    if args.json:
        print(json.dumps(results, default=float))
    save(results, args.output)
    return 1 if "book_clean_seconds" in notes else 0


if __name__ == "__main__":
    sys.exit(main())
