"""Benchmark: FCN-8s on the bench configuration, layer by layer, against the machine's own
matrix-product speed and (when installed) PyTorch, in one run; and what each trick of
:mod:`fcn_scratch.fast` buys.

    python -m fcn_scratch.bench                  # CPU, the full table
    python -m fcn_scratch.bench --device cuda    # the same on CuPy
    python -m fcn_scratch.bench --quick          # a small configuration, seconds (the tests use it)
    python -m fcn_scratch.bench --json out.json
    python -m fcn_scratch.bench --size 64 --classes 4   # the default toy training run's step

Bench configuration: FCN-8s, float32, batch 8 x 3 x 128 x 128, 21 classes, widths
16-32-64-128-128, two 3x3 convolutions per block, fc6 3x3 to 256, fc7 1x1 to 256.
Every time is the median of ``--repeats`` runs after a warm-up. Machines are noisy:
compare figures from the same run (the ratio columns), not across runs. Contestants that
are compared are timed in turns (:mod:`.timing`), so a slow spell of the machine hits all.

One job per file: :mod:`.timing` (turns and medians), :mod:`.workload` (the model, the batch,
our training step and prediction), :mod:`.torch_reference` (the same nets in PyTorch, which the
tests hold ours to too), :mod:`.memory` (peak step memory), :mod:`.products` (the matrix products
of one step's formulas, replayed alone: the floor of this design on the machine), :mod:`.layers`
(each layer alone), :mod:`.tricks` (the step with each trick off), :mod:`.real_size` (the paper's net on a photo-sized image) and
:mod:`.real_step` (its training step, each side in a fresh process), :mod:`.report` (the printed
tables); ``__main__`` is the command line.

Where the environment sets ``OPENBLAS_CORETYPE``, NumPy's BLAS may run an older,
slower kernel than the processor has; measure as a user's machine would with
``env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python -m fcn_scratch.bench`` (the report
prints the variable).
"""
from .report import format_table
from .run import run

__all__ = ["run", "format_table"]
