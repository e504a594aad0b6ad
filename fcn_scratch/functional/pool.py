"""Max pooling as the maximum of strided slices: the definitions under :class:`fcn_scratch.layers.MaxPool2d`.

The window is never looped over pixel by pixel: for each of the ``kh*kw``
offsets ``(i, j)`` the strided slice ``x_pad[..., i::s, j::s]`` holds that
element of every window at once. Stacked, they make ``windows``
(kh*kw, N, C, H_out, W_out): ``y = windows.max(0)``, and
``arg = windows.argmax(0)`` says which offset won (the first of tied ones in
the window's row-major order, as PyTorch's CPU kernel), for backward, which
sends each dy to the offset that won.
"""
from ..backend import get_array_module


def window_slices(kernel_size, stride, out_hw):
    """``(t, slices)`` for each window offset ``t = i*kw + j``: the elements at that offset of every window."""
    (kh, kw), (sh, sw), (ho, wo) = kernel_size, stride, out_hw
    for i in range(kh):
        for j in range(kw):
            yield i * kw + j, (slice(None), slice(None), slice(i, i + sh * (ho - 1) + 1, sh),
                               slice(j, j + sw * (wo - 1) + 1, sw))


def max_over_windows(x_pad, kernel_size, stride, out_hw):
    """``(y, arg)`` of the padded input x_pad (N, C, H, W): y (N, C, H_out, W_out) the maximum of each
    window, arg the offset ``i*kw + j`` that won (the first on ties)."""
    xp = get_array_module(x_pad)
    windows = xp.stack([x_pad[window] for _, window in window_slices(kernel_size, stride, out_hw)])
    return windows.max(axis=0), windows.argmax(axis=0)


def to_winners(grad_out, arg, padded_shape, kernel_size, stride):
    """d loss / d x_pad (``padded_shape``): each dy (N, C, H_out, W_out) added to the element whose
    offset ``arg`` won its window."""
    xp = get_array_module(grad_out)
    dx_pad = xp.zeros(padded_shape, dtype=grad_out.dtype)
    for t, window in window_slices(kernel_size, stride, arg.shape[2:]):
        dx_pad[window] += grad_out * (arg == t)
    return dx_pad
