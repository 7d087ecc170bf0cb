"""The benchmarks compare like with like: the same network, the same work.

A speed ratio means nothing if the contenders compute different things, so
these tests check that the bare NumPy loop and the PyTorch models train the
very network scratchnet trains, and that the FLOP count and the memory probe
report what they claim. Speed itself is judged by ``python -m benchmarks``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from benchmarks import cnn, mlp, vit
from benchmarks.__main__ import TARGETS
from benchmarks.common import Turns, interleaved, mlp_matmul_flops

ROOT = Path(__file__).resolve().parents[1]
RNG = np.random.default_rng(0)
X = RNG.random((600, 784), dtype=np.float32)   # 4 full batches and a partial one
Y = RNG.integers(0, 10, 600)
ORDER = RNG.permutation(600)


def test_bare_numpy_loop_trains_the_same_network_as_scratchnet():
    ours = mlp.scratchnet_epoch(X, Y, ORDER)
    bare_params = mlp.initial_weights()
    bare = mlp.bare_numpy_epoch(X, Y, ORDER, bare_params)
    our_loss, our_accuracy = ours()
    bare_loss, bare_accuracy = bare()
    for p, q in zip(ours.model.parameters(), bare_params):
        np.testing.assert_allclose(p.value, q, rtol=1e-4, atol=1e-6)
    # and keeps the same books, so neither loop does work the other skips
    assert bare_loss == pytest.approx(our_loss, rel=1e-5)
    assert bare_accuracy == our_accuracy


def test_the_products_only_epoch_does_exactly_the_flops_of_a_training_epoch():
    # 600 rows: four full batches and a partial one of 88, whose shapes
    # must line up too; the ceiling it measures is only as real as that.
    flops = []

    def counting_matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        flops.append(2 * a.shape[0] * a.shape[1] * b.shape[1])
        return a @ b

    mlp.products_epoch(X, matmul=counting_matmul)()
    assert len(flops) == 8 * 5                  # eight products, five batches
    assert sum(flops) == mlp_matmul_flops(len(X))


def test_ratios_pair_runs_of_the_same_round_and_take_the_median():
    # Round 2 hit both contenders with a slow spell, round 3 only b's run
    # was lucky: the median of the per-round ratios ignores both, while the
    # ratio of the two best times would report 2.2.
    turns = Turns({"a": [1.1, 2.2, 1.1], "b": [1.0, 2.0, 0.5]})
    assert turns.ratio("a", "b") == pytest.approx(1.1)
    assert turns.best("b") == 0.5


def test_every_round_runs_each_contender_once_in_a_seeded_shuffled_order():
    calls = []
    contenders = {name: (lambda name=name: calls.append(name)) for name in "abcd"}
    turns = interleaved(contenders, 6)
    rounds = [calls[i:i + 4] for i in range(0, len(calls), 4)]
    assert all(sorted(r) == list("abcd") for r in rounds)
    assert len({tuple(r) for r in rounds}) > 1          # not a fixed order
    assert all(len(t) == 6 for t in turns.seconds.values())
    again = []
    interleaved({n: (lambda n=n: again.append(n)) for n in "abcd"}, 6)
    assert again == calls                               # the same every run


def test_the_epoch_changes_the_weights():
    """Guards the test above: an epoch that did nothing would also 'match'."""
    bare_params = mlp.initial_weights()
    mlp.bare_numpy_epoch(X, Y, ORDER, bare_params)()
    moved = [np.abs(p - q).max() for p, q in zip(bare_params, mlp.initial_weights())]
    assert min(moved) > 1e-4


def test_pytorch_mlp_trains_the_same_network_as_scratchnet():
    torch = pytest.importorskip("torch")
    ours = mlp.scratchnet_epoch(X, Y, ORDER)
    theirs = mlp.torch_epoch(X, Y, ORDER, threads=1)
    ours()
    theirs()
    linears = [m for m in theirs.model if isinstance(m, torch.nn.Linear)]
    params = ours.model.parameters()
    for layer, w, b in zip(linears, params[::2], params[1::2]):
        np.testing.assert_allclose(layer.weight.detach().numpy().T, w.value,
                                   rtol=1e-3, atol=1e-5)
        np.testing.assert_allclose(layer.bias.detach().numpy(), b.value,
                                   rtol=1e-3, atol=1e-5)


def assert_same_logits(ours, theirs, torch, rtol: float, atol: float) -> None:
    """scratchnet's and PyTorch's model give the same logits on 16 images."""
    batch = X[:16]
    ours.model.eval()
    with torch.no_grad():
        expected = theirs.model.eval()(torch.from_numpy(batch)).numpy()
    np.testing.assert_allclose(ours.model.logits(batch), expected,
                               rtol=rtol, atol=atol)


def test_pytorch_cnn_is_the_same_network_as_scratchnets():
    torch = pytest.importorskip("torch")
    ours = cnn.scratchnet_steps(X, Y, ORDER, steps=1)
    theirs = cnn.torch_steps(X, Y, ORDER, steps=1, threads=1)
    assert_same_logits(ours, theirs, torch, rtol=1e-4, atol=1e-4)
    n_ours = sum(p.size for p in ours.model.parameters())
    assert n_ours == sum(p.numel() for p in theirs.model.parameters())


def test_pytorch_vit_is_the_same_network_as_scratchnets():
    """Same weights, same logits, and one training step later still the same."""
    torch = pytest.importorskip("torch")
    ours = vit.scratchnet_steps(X, Y, ORDER, steps=1)
    theirs = vit.torch_steps(X, Y, ORDER, steps=1, threads=1)
    assert_same_logits(ours, theirs, torch, rtol=1e-4, atol=1e-5)
    assert sum(p.size for p in ours.model.parameters()) == \
        sum(p.numel() for p in theirs.model.parameters())
    ours()
    theirs()
    assert_same_logits(ours, theirs, torch, rtol=1e-3, atol=1e-4)


def test_mlp_flops_count_forward_weight_and_input_gradients():
    # 4-3-2 on 5 samples: forward 2*5*(4*3 + 3*2) = 180, weight gradients
    # the same, input gradient only for the second layer: 2*5*3*2 = 60.
    assert mlp_matmul_flops(5, (4, 3, 2)) == 180 + 180 + 60


def test_memory_probe_sees_a_large_allocation():
    """In a fresh process, where the high-water mark is the current size: in
    this one, memory freed by earlier tests leaves the mark above it, and a
    new 100 MiB raised it by only 89.8 MiB in one run."""
    code = ("import numpy as np\n"
            "from benchmarks.memory_probe import peak_rss_bytes\n"
            "before = peak_rss_bytes()\n"
            "block = np.ones(100 * 2**20 // 8)\n"        # 100 MiB, touched
            "assert block.sum() > 0\n"
            "print(before, peak_rss_bytes())\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True,
                          text=True, check=True, cwd=ROOT)
    before, after = map(int, done.stdout.split())
    assert after >= before + 90 * 2**20


def test_memory_probe_ignores_a_large_parent():
    """``ru_maxrss`` would report the parent's size in a child; VmHWM does not."""
    code = ("import numpy as np, subprocess, sys\n"
            "big = np.ones(400 * 2**20 // 8)\n"
            "out = subprocess.run([sys.executable, '-c', "
            "'from benchmarks.memory_probe import peak_rss_bytes; "
            "print(peak_rss_bytes())'], capture_output=True, text=True, "
            "check=True)\n"
            "print(out.stdout)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True,
                          text=True, check=True, cwd=ROOT)
    assert int(done.stdout.split()[-1]) < 300 * 2**20


@pytest.mark.parametrize("flags, message", [
    (["--threads", "0"], "--threads must be >= 1"),
    (["--fast"], "unrecognized arguments: --fast"),
])
def test_bad_flags_are_refused_with_a_message(flags, message):
    done = subprocess.run([sys.executable, "-m", "benchmarks", *flags],
                          capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 2
    assert message in done.stderr


ISSUE_KEYS = {"ratio_vs_torch", "overhead_vs_bare", "fraction_of_sgemm_peak",
              "seconds_to_98", "seconds_to_85", "seed_notebook_seconds_to_85",
              "speedup_to_85", "cnn_ratio_vs_torch", "vit_ratio_vs_torch",
              "inference_images_per_second", "memory_ratio"}


def test_the_recorded_run_in_the_book_has_every_row_and_its_machine():
    """The performance chapter plots this file; a run missing a row would
    break the chapter or, worse, quietly show less than it says."""
    run = json.loads((ROOT / "book" / "data" / "benchmark-run.json").read_text())
    assert ISSUE_KEYS <= run.keys()
    # the floors the chapter compares two of the targets with
    assert {"bare_ratio_vs_torch", "products_fraction_of_sgemm_peak"} <= run.keys()
    # and every turn of the MLP row, which the chapter plots
    assert {"scratchnet", "bare", "products", "torch"} <= \
        run["mlp_quarter_epoch_seconds"].keys()
    assert {"book_clean_seconds", "book_cached_seconds"} <= run.keys()
    assert {"cpu", "cores", "numpy", "blas"} <= run["machine"].keys()
    assert all(run[key] is not None for key in ISSUE_KEYS), \
        "record the book's run with PyTorch installed (make bench)"
    assert "128" in run["fraction_of_sgemm_peak_by_batch"]
    assert run["targets"] == {key: list(target) for key, target in TARGETS.items()}, \
        "the targets changed since the book's run was recorded: rerun make bench"
    assert run["bare_loop"] == mlp.BARE_LOOP, \
        "the bare loop changed since the book's run was recorded: rerun make bench"
