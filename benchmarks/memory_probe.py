"""Run by ``system.peak_training_memory`` in a fresh process: load, train, report.

Prints one JSON line: peak resident memory and the size of what training
must hold (the float32 training set plus the model).
"""

from __future__ import annotations

import json
import resource
import sys

from threadpoolctl import threadpool_limits

from scratchnet import data
from scratchnet.train import DEFAULTS, fit


def main(threads: int) -> None:
    with threadpool_limits(threads):
        (x_train, y_train), _ = data.load_mnist(progress=False)
        x = data.preprocess(x_train)
        del x_train
        model = DEFAULTS.build_model()
        fit(model, x, y_train, epochs=1, batch_size=DEFAULTS.batch_size,
            progress=False)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux
    needed = x.nbytes + sum(p.value.nbytes for p in model.parameters())
    print(json.dumps({"peak_rss_bytes": peak, "needed_bytes": needed}))


if __name__ == "__main__":
    main(int(sys.argv[1]))
