"""Run by ``system.peak_training_memory`` in a fresh process: load, train, report.

Prints one JSON line: peak resident memory and the size of what training
must hold (the float32 training set plus the model).
"""

from __future__ import annotations

import json
import sys

from threadpoolctl import threadpool_limits

from scratchnet import data
from scratchnet.presets import DEFAULTS
from scratchnet.train import FitConfig, fit


def peak_rss_bytes() -> int:
    """This process's resident-memory high-water mark (``VmHWM``).

    Not ``getrusage``: on Linux its ``ru_maxrss`` survives ``exec``, so a
    child started by a big parent reports the parent's size.
    """
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024      # kB
    except OSError:
        pass
    import resource  # elsewhere: the best we have (macOS reports bytes)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024


def main(threads: int) -> None:
    with threadpool_limits(threads):
        (x_train, y_train), _ = data.load_mnist(progress=False)
        x = data.preprocess(x_train)
        del x_train
        model = DEFAULTS.build_model()
        fit(model, DEFAULTS.build_optimizer(model.parameters()), x, y_train,
            FitConfig(epochs=1, batch_size=DEFAULTS.batch_size))
    peak = peak_rss_bytes()
    needed = x.nbytes + sum(p.value.nbytes for p in model.parameters())
    print(json.dumps({"peak_rss_bytes": peak, "needed_bytes": needed}))


if __name__ == "__main__":
    main(int(sys.argv[1]))
