"""Exercise 4, after lesson 3: col2im and the transposed convolution, both adjoints.

col2im undoes im2col's copy the way a gradient does: it scatters every column
entry back to the pixel it came from and *adds* where windows overlap. It is
the adjoint of im2col, <im2col(x), cols> == <x, col2im(cols)>, hence the
backward pass of a convolution (exercise 7) and the forward pass of the
transposed convolution, the FCN paper's "deconvolution", which is in turn the
adjoint of a convolution with the same weight:

    <conv(y, W), x> == <y, conv_transpose(x, W)>   for every x and y.

Check:  python lessons/exercises/check.py conv_transpose          (add --hint for a hint)
"""
import numpy as np


def col2im(cols, x_shape, kernel_size, stride=1, padding=0):
    """Fold columns back into an image, adding where windows overlap.

    cols:     (N, C*k*k, H_out*W_out), laid out as im2col lays them out
    x_shape:  (N, C, H, W);   H_out = (H + 2p - k) // s + 1, W_out likewise
    x:        (N, C, H, W)

        x_pad[n, c, r*s + i, q*s + j] += cols[n, c*k*k + i*k + j, r*W_out + q]   for every entry

    then x = x_pad without its p-pixel border (what fell on the padding is dropped).
    Keep the dtype of cols (float32 in, float32 out): a float32 net's backward pass runs
    through here.
    """
    raise NotImplementedError


def conv_transpose2d_forward(x, weight, stride=1, padding=0):
    """The transposed convolution of ``x`` (no bias): each input pixel scatters a weighted k x k patch.

    x:       (N, C_in, H, W)
    weight:  (C_in, C_out, k, k)   (note: C_in first, as in PyTorch's ConvTranspose2d)
    y:       (N, C_out, H_out, W_out),   H_out = (H - 1) * s - 2p + k, W_out likewise

    Two routes give the same y; take either.

    Scatter (the adjoint of a convolution, col2im's way): every input pixel adds its value
    times the kernel, as it is, into the output, s pixels further per input pixel:

        y[n] = col2im(W_mat.T @ x[n].reshape(C_in, H*W)),   W_mat = weight.reshape(C_in, C_out*k*k)

    with col2im to the shape (N, C_out, H_out, W_out), kernel k, stride s, padding p.

    Convolution of the dilated input (the paper's "backwards strided convolution"): put
    s - 1 zeros between the input's pixels, pad by k - 1 - p, and convolve at stride 1
    with the kernel flipped and its channel axes swapped:

        y = conv(dilate(x, s), weight.transpose(1, 0, 2, 3)[:, :, ::-1, ::-1], padding k - 1 - p)

    A convolution gathers what scattering spreads, so it meets the taps in the opposite
    order: that is the flip. Keep the input's dtype.
    """
    raise NotImplementedError
