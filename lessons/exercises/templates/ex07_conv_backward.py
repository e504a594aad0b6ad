"""Exercise 7, after lesson 5: Conv2d's backward pass, dW, db and dx.

From y[n] = W_col @ cols[n] + b (exercise 2), the chain rule gives three
products, one per gradient; col2im (exercise 4) takes the columns' gradient
back to the image. The checker compares them with the library and with central
differences, as lesson 5 does. You may use your own im2col and col2im, or the
library's ``fcn_scratch.functional.im2col`` and ``col2im`` (they take pairs: (k, k), (s, s), (p, p)).

Check:  python lessons/exercises/check.py conv_backward          (add --hint for a hint)
"""
import numpy as np


def conv2d_backward(dy, x, weight, stride=1, padding=0):
    """The gradients of a loss L with respect to a convolution's input, weight and bias.

    dy:      (N, C_out, H_out, W_out), dL/dy
    x:       (N, C_in, H, W), the forward's input
    weight:  (C_out, C_in, k, k)
    returns: (dx, dW, db): dx (N, C_in, H, W), dW (C_out, C_in, k, k), db (C_out,)

    With cols = im2col(x, k, s, p) (N, C_in*k*k, L), dY[n] = dy[n].reshape(C_out, L),
    L = H_out*W_out and W_col = weight.reshape(C_out, C_in*k*k):

        dW = sum over n of dY[n] @ cols[n].T,   reshaped to (C_out, C_in, k, k)
        db = dy summed over N, H_out and W_out
        dx = col2im(W_col.T @ dY[n] for every n, x's shape, k, s, p)

    Keep the input's dtype.
    """
    raise NotImplementedError
