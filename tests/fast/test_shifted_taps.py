"""Shifted taps (fast/shifted_taps.py): a stride-1 convolution with no column matrix, held to the layer's
textbook route (im2col), forward and both gradients; where it applies; its threads."""
import numpy as np
import pytest

from fcn_scratch import fast
from fcn_scratch.fast import shifted_taps, threads
from fcn_scratch.layers import Conv2d
from tests.helpers import host, on

# (N, C_in, C_out, kernel, padding, H, W): odd sizes, 3x3 same-padded, the paper's conv1_1 padding of 100,
# no padding, a rectangular and an even kernel, a padding wider than the kernel, 1x1s, a batch of one,
# and channels enough for the weight gradient by taps (C_out*C_in >= TAP_PRODUCT)
CASES = [(2, 3, 5, 3, 1, 7, 9), (1, 3, 4, 3, 100, 5, 4), (3, 4, 6, 3, 0, 8, 6), (2, 5, 3, (3, 5), (1, 2), 6, 7),
         (2, 4, 3, (2, 4), (0, 3), 6, 7), (2, 4, 3, 1, 0, 5, 5), (1, 6, 4, 1, 2, 3, 5), (1, 8, 8, 3, 1, 11, 13),
         (1, 257, 256, 3, 1, 17, 16)]
TOLERANCE = {np.float64: 1e-12, np.float32: 2e-6}


@pytest.fixture(autouse=True)
def any_batch(monkeypatch):
    """The route applies to every case, batches of several samples on the test's threads included."""
    monkeypatch.setattr(shifted_taps, "COLUMN_BYTES", 0)


def _pass(conv, x, dy, input_grad=True):
    """Forward, backward: y, dx, dW, db (copies on the host)."""
    y = host(conv(x)).copy()
    dx = conv.backward(dy, input_grad=input_grad)
    return [y, None if dx is None else host(dx).copy(), host(conv.grads["weight"]).copy(),
            host(conv.grads["bias"]).copy()]


def _layer(c_in, c_out, k, p, dtype, device, rng):
    conv = Conv2d(c_in, c_out, k, padding=p, rng=rng, dtype=dtype).to(device)
    conv.params["bias"][...] = on(device, rng.standard_normal(c_out).astype(dtype))
    return conv


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("n,c_in,c_out,k,p,h,w", CASES)
def test_equals_the_textbook_route(device, rng, dtype, n, c_in, c_out, k, p, h, w):
    conv = _layer(c_in, c_out, k, p, dtype, device, rng)
    x = on(device, rng.standard_normal((n, c_in, h, w)).astype(dtype))
    dy = on(device, rng.standard_normal(conv(x).shape).astype(dtype))
    with fast.enabled(False):
        textbook = _pass(conv, x, dy)
    weight, bias = conv.params["weight"], conv.params["bias"]
    with fast.enabled(True):
        assert shifted_taps.applies(x, weight, conv.stride, conv.padding)
        y = shifted_taps.conv2d_forward(x, weight, bias, conv.padding)
        d_weight, dx = shifted_taps.conv2d_backward(x, dy, weight, conv.padding)
    for got, expected in zip((y, dx, d_weight), textbook):
        got = host(got).reshape(expected.shape)
        assert got.dtype == dtype
        np.testing.assert_allclose(got, expected, rtol=0, atol=TOLERANCE[dtype] * np.abs(expected).max())


@pytest.mark.parametrize("n,c_in,c_out,k,p,h,w", [CASES[2], CASES[3], CASES[-2], CASES[-1]])
def test_the_layer_takes_it_and_keeps_only_its_input(device, rng, n, c_in, c_out, k, p, h, w):
    """Through the layer: its cache holds x itself, and forward and both gradients are the textbook's."""
    conv = _layer(c_in, c_out, k, p, np.float64, device, rng)
    x = on(device, rng.standard_normal((n, c_in, h, w)))
    dy = on(device, rng.standard_normal(conv(x).shape))
    with fast.enabled(False):
        textbook = _pass(conv, x, dy)
    fast_route = _pass(conv, x, dy)
    conv(x)
    route, _, (kind, kept) = conv.cache
    assert (route, kind) == ("fast", "input") and kept is x
    for got, expected in zip(fast_route, textbook):
        np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12 * np.abs(expected).max())


def test_the_first_convolution_of_one_image_takes_them_too(rng):
    """A layer reading three channels (an image) is a convolution like the others: it keeps the image."""
    conv = _layer(3, 8, 3, 1, np.float64, "cpu", rng)
    x = rng.standard_normal((1, 3, 9, 9))
    with fast.threads_used(2):
        conv(x)
    route, _, (kind, kept) = conv.cache
    assert (route, kind) == ("fast", "input") and kept is x


def test_threads_on_and_off_give_the_same_bits(split_small, splits, rng):
    """One image, its chunks of rows shared by three threads: forward, the weight gradient by chunks and by
    taps, the input gradient, each split in three, the same bits as on one thread."""
    for c_in, c_out in ((20, 24), (256, 256)):
        conv = _layer(c_in, c_out, 3, 1, np.float32, "cpu", rng)
        x = rng.standard_normal((1, c_in, 17, 16)).astype(np.float32)
        dy = rng.standard_normal((1, c_out, 17, 16)).astype(np.float32)
        splits.clear()
        split = _pass(conv, x, dy)
        assert splits == [3, 3, 3]                  # forward, weight gradient, input gradient
        with fast.enabled(False, "threads"):
            whole = _pass(conv, x, dy)
        for a, b in zip(split, whole):
            np.testing.assert_array_equal(a, b)


def test_chunks_are_whole_rows_and_at_least_one_per_thread():
    with fast.threads_used(3):
        chunks, longest = shifted_taps._chunks(1, 7, 10, 2048)
        assert [(top, bottom) for _, top, bottom in chunks] == [(0, 2), (2, 4), (4, 7)] and longest == 30
        chunks, _ = shifted_taps._chunks(2, 100, 100, 2048)          # 4 chunks a sample, 9 for three threads
        assert len(chunks) == 10 and {s for s, _, _ in chunks} == {0, 1}
        assert shifted_taps._chunks(1, 2, 10, 2048)[0] == [(0, 0, 1), (0, 1, 2)]    # at most one per row


def test_where_it_applies(monkeypatch):
    """Stride 1, a column matrix larger than the weight, and one image (fewer samples than threads) or a
    column matrix above COLUMN_BYTES: every 3x3 of the paper's net on a photo; not a strided convolution,
    not fc6's 7x7 on a map with fewer pixels than its 4096 outputs, not with the trick off."""
    monkeypatch.setattr(shifted_taps, "COLUMN_BYTES", 256 * 2 ** 20)
    with fast.threads_used(2):
        weight = np.zeros((16, 8, 3, 3), np.float32)
        photo = np.zeros((1, 8, 12, 12), np.float32)
        assert shifted_taps.applies(photo, weight, (1, 1), (1, 1))
        assert not shifted_taps.applies(photo, weight, (2, 2), (1, 1))
        assert not shifted_taps.applies(np.zeros((1, 512, 22, 22)), np.zeros((4096, 512, 7, 7)), (1, 1), (0, 0))
        batch = np.zeros((2, 8, 12, 12), np.float32)
        assert not shifted_taps.applies(batch, weight, (1, 1), (1, 1))
        monkeypatch.setattr(shifted_taps, "COLUMN_BYTES", 2 * 8 * 9 * 144 * 4 - 1)
        assert shifted_taps.applies(batch, weight, (1, 1), (1, 1))
        with fast.enabled(False, "shifted_taps"):
            assert not shifted_taps.applies(photo, weight, (1, 1), (1, 1))
