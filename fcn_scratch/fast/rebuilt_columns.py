"""Rebuilt columns: a convolution that reads an image keeps the image, not its column matrix, and fills
the columns again in backward.

It replaces the textbook cache of :class:`fcn_scratch.layers.Conv2d`, which
keeps ``im2col(x)`` from forward to backward for the weight gradient. For a
convolution reading at most :data:`REBUILT_MAX_CHANNELS` channels (a net's
first, on the image) the column matrix is ``kh*kw`` times the image and the
cheapest of all to fill: the forward fills it in the work array all layers
share, keeps x, and backward fills it again there, so the larger array lives
only while it is used.

Why the numbers are the same: the same columns of the same x, filled the same
way (``tests/fast/test_rebuilt_columns.py``).
"""
from ..backend import get_array_module
from . import threads
from .flat_shifts import fill_columns
from .clipped_taps import column_shape
from .kept_buffers import shared_work_array
from .switch import is_on

# A convolution reading at most this many channels (an image) rebuilds its columns in backward.
REBUILT_MAX_CHANNELS = 3


def applies(x):
    """The named condition: the ``rebuilt_columns`` trick is on and x (N, C_in, H, W) has at most
    :data:`REBUILT_MAX_CHANNELS` channels."""
    return is_on("rebuilt_columns") and x.shape[1] <= REBUILT_MAX_CHANNELS


def shared_columns(x, kernel_size, stride, padding):
    """The work array all layers share, shaped for ``im2col(x)`` (N, C_in*kh*kw, H_out*W_out), unfilled."""
    return shared_work_array(column_shape(x.shape, kernel_size, stride, padding), x.dtype, get_array_module(x))


def rebuild(x, kernel_size, stride, padding):
    """``im2col(x)`` (N, C_in*kh*kw, H_out*W_out) made again, in the shared work array, split over threads."""
    cols = shared_columns(x, kernel_size, stride, padding)

    def part(_, samples):
        fill_columns(cols[samples], x[samples], kernel_size, stride, padding)
    threads.split(part, "copies", x.shape[0], x, cols)
    return cols
