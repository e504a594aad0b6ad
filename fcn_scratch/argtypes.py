"""Argument types shared by the command lines (``fcn_scratch.cli`` and ``fcn_scratch.bench``)."""
import argparse
import math


def positive(kind):
    """An argparse type: ``kind(text)``, refused unless it is a finite number above zero."""
    def parse(text):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a positive {kind.__name__}, got {text!r}") from None
        if not (math.isfinite(value) and value > 0):
            raise argparse.ArgumentTypeError(f"must be positive, got {text}")
        return value
    parse.__name__ = f"positive {kind.__name__}"
    return parse
