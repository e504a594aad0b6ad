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


def positive(kind):
    """``kind(text)``, refused unless it is a finite number above zero."""
    def parse(text):
        value = _number(kind, text)
        if value <= 0:
            raise argparse.ArgumentTypeError(f"must be positive, got {text}")
        return value
    parse.__name__ = f"positive {kind.__name__}"
    return parse


def non_negative(kind):
    """``kind(text)``, refused unless it is a finite number of at least zero."""
    def parse(text):
        value = _number(kind, text)
        if value < 0:
            raise argparse.ArgumentTypeError(f"must be zero or more, got {text}")
        return value
    parse.__name__ = f"non-negative {kind.__name__}"
    return parse


def in_range(low, high):
    """A float in ``[low, high)``."""
    def parse(text):
        value = _number(float, text)
        if not low <= value < high:
            raise argparse.ArgumentTypeError(f"must be at least {low} and below {high}, got {text}")
        return value
    parse.__name__ = f"number in [{low}, {high})"
    return parse


def at_least(minimum):
    """An int of at least ``minimum``."""
    def parse(text):
        value = _number(int, text)
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, got {text}")
        return value
    parse.__name__ = f"int of at least {minimum}"
    return parse
