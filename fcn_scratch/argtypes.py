"""Argument types shared by the command lines (``fcn_scratch.cli`` and ``fcn_scratch.bench``).

Each refuses a bad value with a message argparse prints beside the option's name.
"""
import argparse
import math


def _number(kind, text):
    try:
        value = kind(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {'an integer' if kind is int else 'a number'}, got {text!r}") \
            from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be a finite number, got {text}")
    return value


def _checked(kind, accept, requirement, name):
    """An argparse type: ``kind(text)``, refused with "``requirement``, got TEXT" unless ``accept(value)``."""
    def parse(text):
        value = _number(kind, text)
        if not accept(value):
            raise argparse.ArgumentTypeError(f"{requirement}, got {text}")
        return value
    parse.__name__ = name
    return parse


def positive(kind):
    """``kind(text)``, refused unless it is a finite number above zero."""
    return _checked(kind, lambda v: v > 0, "must be positive", f"positive {kind.__name__}")


def non_negative(kind):
    """``kind(text)``, refused unless it is a finite number of at least zero."""
    return _checked(kind, lambda v: v >= 0, "must be zero or more", f"non-negative {kind.__name__}")


def in_range(low, high):
    """A float in ``[low, high)``."""
    return _checked(float, lambda v: low <= v < high, f"must be at least {low} and below {high}",
                    f"number in [{low}, {high})")


def at_least(minimum):
    """An int of at least ``minimum``."""
    return _checked(int, lambda v: v >= minimum, f"must be at least {minimum}", f"int of at least {minimum}")
