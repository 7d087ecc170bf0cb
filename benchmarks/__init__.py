"""Side-by-side performance benchmarks for scratchnet (``python -m benchmarks``).

Every comparison runs in one process, one contender after the other on the
same data, with the same number of threads: on a shared, noisy machine only
ratios measured together mean anything.
"""
