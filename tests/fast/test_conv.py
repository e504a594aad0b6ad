"""The fast input-gradient routes of Conv2d, held to the textbook dx = col2im(W_col.T @ dy)."""
import numpy as np
import pytest

from fcn_scratch import buffers, fast
from fcn_scratch.functional import col2im
from fcn_scratch.layers import Conv2d
from tests.helpers import host, on


def _textbook_dx(conv, dy, x_shape):
    w_col = conv.params["weight"].reshape(conv.out_channels, -1)
    return col2im(w_col.T @ dy.reshape(dy.shape[0], conv.out_channels, -1), x_shape, conv.kernel_size,
                  conv.stride, conv.padding)


@pytest.mark.parametrize("c_in,c_out,k,p", [(4, 3, 3, 1), (4, 4, 3, 0), (5, 2, (3, 5), (1, 2)), (3, 3, 1, 0)])
def test_flipped_kernel_equals_col2im(device, rng, c_in, c_out, k, p):
    conv = Conv2d(c_in, c_out, k, padding=p, rng=rng, dtype=np.float64).to(device)
    assert fast.flipped_kernel_applies(conv)
    x = on(device, rng.standard_normal((2, c_in, 7, 6)))
    dy = on(device, rng.standard_normal(conv(x).shape))
    dx = fast.input_grad_flipped_kernel(conv, dy, x.shape)
    np.testing.assert_allclose(host(dx), host(_textbook_dx(conv, dy, x.shape)), rtol=1e-12, atol=1e-12)


def test_flipped_kernel_applies_only_to_stride_one_with_fewer_outputs():
    assert not fast.flipped_kernel_applies(Conv2d(3, 5, 3, padding=1))
    assert not fast.flipped_kernel_applies(Conv2d(5, 3, 3, stride=2, padding=1))
    assert not fast.flipped_kernel_applies(Conv2d(5, 3, 3, padding=3))
    with fast.enabled(False, "flipped_kernel"):
        assert not fast.flipped_kernel_applies(Conv2d(5, 3, 3, padding=1))


@pytest.mark.parametrize("c_in,c_out,s", [(3, 5, 1), (4, 4, 2), (2, 3, 3)])
def test_col2im_in_chunks_equals_col2im(device, rng, c_in, c_out, s):
    conv = Conv2d(c_in, c_out, 3, stride=s, padding=1, rng=rng, dtype=np.float64).to(device)
    x = on(device, rng.standard_normal((3, c_in, 9, 8)))
    dy = on(device, rng.standard_normal(conv(x).shape))
    dx = fast.input_grad_col2im_in_chunks(conv, dy, x.shape)
    np.testing.assert_allclose(host(dx), host(_textbook_dx(conv, dy, x.shape)), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("c_in,c_out,s", [(4, 3, 1), (3, 5, 1), (4, 4, 2)])
def test_chunks_of_one_sample_equal_the_whole_batch(monkeypatch, rng, c_in, c_out, s):
    """Both routes work through the batch in chunks that fit the shared work array; the chunks must not show."""
    conv = Conv2d(c_in, c_out, 3, stride=s, padding=1, rng=rng, dtype=np.float64)
    x = rng.standard_normal((5, c_in, 9, 8))
    dy = rng.standard_normal(conv(x).shape)
    whole = conv.backward(dy)
    monkeypatch.setattr(buffers, "SHARED_LIMIT", 1)
    assert buffers.samples_per_chunk(10 ** 6, 5) == 1
    conv(x)
    np.testing.assert_array_equal(conv.backward(dy), whole)


@pytest.mark.parametrize("c_in,rebuilt", [(3, True), (1, True), (4, False)])
def test_rebuilt_columns_give_the_same_gradients_and_keep_no_column_matrix(rng, c_in, rebuilt):
    conv = Conv2d(c_in, 5, 3, padding=1, rng=rng, dtype=np.float64)
    x = rng.standard_normal((3, c_in, 9, 8))
    dy = rng.standard_normal((3, 5, 9, 8))
    assert fast.columns_rebuilt_apply(conv) == rebuilt
    grads = []
    for on in (True, False):
        buffers.release(conv)
        with fast.enabled(on, "rebuilt_columns"):
            conv(x)
            dx = conv.backward(dy)
        kept = buffers._kept.get(conv, {})
        assert any(name == "cols" for name, _ in kept) == (not (on and rebuilt))
        grads.append([dx, conv.grads["weight"].copy(), conv.grads["bias"].copy()])
    for a, b in zip(*grads):
        np.testing.assert_array_equal(a, b)
