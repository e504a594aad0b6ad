"""``python -m fcn_scratch.bench``: the benchmark's command line (``--help`` lists the options)."""
import argparse
import json
import sys

from .. import backend
from ..argtypes import positive
from .real_size import run_real
from .report import format_real, format_table
from .run import run


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m fcn_scratch.bench",
        description="Time FCN-8s layer by layer and a whole training step, against the step's own matrix products, "
                    "the textbook routes and PyTorch (when it is installed); print what each speed trick buys.")
    parser.add_argument("--quick", action="store_true", help="a small configuration that runs in seconds "
                        "(with --real-size: 224 x 224 and three training steps)")
    parser.add_argument("--real-size", action="store_true",
                        help="instead: the paper's VGG16 FCN-8s on a 500 x 500 image, predicting (forward time and "
                             "peak memory against PyTorch, layer by layer) and one SGD training step (time and peak "
                             "memory against PyTorch's, each in a fresh process) (CPU)")
    parser.add_argument("--device", default="cpu", choices=list(backend.DEVICES))
    parser.add_argument("--repeats", type=positive(int), default=None)
    parser.add_argument("--size", type=positive(int), default=None, help="image size instead of the configuration's")
    parser.add_argument("--classes", type=positive(int), default=None,
                        help="number of classes instead of the configuration's")
    parser.add_argument("--batch", type=positive(int), default=None, help="batch size instead of the configuration's")
    parser.add_argument("--json", help="also write the results to this JSON file")
    args = parser.parse_args(argv)
    overrides = dict(batch=args.batch, size=args.size, num_classes=args.classes)
    if args.real_size:
        if args.device != "cpu":
            parser.error("--real-size measures on the CPU only (peak resident memory; PyTorch's CPU build)")
        result = run_real(args.quick, args.repeats, **overrides)
        print(format_real(result))
    else:
        result = run(args.quick, args.device, args.repeats, **overrides)
        print(format_table(result))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
