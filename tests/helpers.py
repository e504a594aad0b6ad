"""Helpers shared by the tests."""
from fcn_scratch import backend


def on(device, *arrays):
    """Move host arrays to ``device``; one array in, one out."""
    moved = tuple(backend.to_device(a, device) for a in arrays)
    return moved[0] if len(moved) == 1 else moved


def host(array):
    return backend.to_host(array)
