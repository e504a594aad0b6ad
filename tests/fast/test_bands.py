"""The band route of Conv2d's forward (fast/bands.py), held to the textbook y = W_col @ im2col(x) + b."""
import tracemalloc

import numpy as np
import pytest

from fcn_scratch import fast, no_grad
from fcn_scratch.fast import bands, threads
from fcn_scratch.layers import Conv2d
from tests.helpers import host, on

# (C_in, C_out, kernel, stride, padding, (N, H, W)): strides 1-3, paddings 0/1/2/100, kernels 1/3/4/7,
# rectangular inputs, a rectangular kernel, inputs smaller than the kernel
SHAPES = [
    (3, 4, 3, 1, 1, (2, 9, 7)),
    (2, 3, 3, 2, 1, (1, 10, 13)),
    (4, 2, 1, 1, 0, (3, 5, 8)),
    (2, 2, 1, 1, 2, (1, 5, 6)),            # the first two and last two bands read padding only
    (3, 2, 4, 2, 1, (2, 9, 11)),
    (2, 3, 7, 1, 0, (1, 12, 9)),           # fc6-like: 7x7, unpadded
    (2, 3, 7, 3, 2, (2, 17, 14)),
    (1, 2, 3, 3, 2, (2, 8, 3)),
    (3, 2, 3, 1, 100, (1, 4, 5)),          # conv1_1 of the reference: 98 bands of padding above and below
    (2, 2, (3, 5), 1, (1, 2), (2, 6, 9)),
    (2, 3, 3, 1, 1, (1, 1, 1)),
    (2, 2, 4, 2, 0, (2, 4, 6)),
]


@pytest.fixture(autouse=True)
def bands_on():
    """The trick these tests hold, on even where FCN_SCRATCH_FAST=0 turned the tricks off; the shifted
    taps, which come first where they apply, off."""
    with fast.enabled(True, "bands"), fast.enabled(False, "shifted_taps"):
        yield


TOLERANCE = {np.float32: dict(rtol=1e-5, atol=1e-5), np.float64: dict(rtol=1e-12, atol=1e-12)}


def make(c_in, c_out, k, s, p, nhw, dtype, device, seed=0, bias=True):
    rng = np.random.default_rng(seed)
    conv = Conv2d(c_in, c_out, k, stride=s, padding=p, bias=bias, rng=rng, dtype=dtype).to(device)
    if bias:
        conv.params["bias"][...] = on(device, rng.standard_normal(c_out).astype(dtype))
    n, h, w = nhw
    x = on(device, rng.standard_normal((n, c_in, h, w)).astype(dtype))
    return conv, x


def textbook(conv, x):
    with fast.enabled(False):
        return host(conv(x))


def in_bands(conv, x):
    """The band route on the layer's arrays, shaped as the layer's output."""
    y = bands.conv2d_forward_in_bands(x, conv.params["weight"], conv.params.get("bias"), conv.stride, conv.padding)
    return y.reshape((x.shape[0], conv.out_channels) + conv.output_size(*x.shape[2:]))


def applies(conv, x):
    return bands.applies(x, conv.params["weight"], conv.stride, conv.padding)


def products(monkeypatch):
    """The shape of the right operand of every product the band route computes."""
    seen, original = [], bands.matmul
    monkeypatch.setattr(bands, "matmul", lambda a, b, out=None: (seen.append(b.shape), original(a, b, out=out))[1])
    return seen


def bytes_per_output_row(conv, x):
    kh, kw = conv.kernel_size
    return x.shape[1] * kh * kw * conv.output_size(*x.shape[2:])[1] * x.dtype.itemsize


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("rows", [1, 2, 3])
@pytest.mark.parametrize("c_in,c_out,k,s,p,nhw", SHAPES)
def test_bands_equal_the_textbook_route(monkeypatch, device, dtype, rows, c_in, c_out, k, s, p, nhw):
    conv, x = make(c_in, c_out, k, s, p, nhw, dtype, device)
    expected = textbook(conv, x)
    # bands of exactly ``rows`` output rows (one byte short of the next row)
    limit = (rows + 1) * bytes_per_output_row(conv, x) - 1
    monkeypatch.setattr(bands, "BAND_BYTES", limit)
    columns = products(monkeypatch)
    y = in_bands(conv, x)
    assert y.shape == expected.shape and y.dtype == dtype
    # one product per band and sample, each on a column matrix of at most BAND_BYTES
    n, _, ho, wo = expected.shape
    assert len(columns) == n * -(-ho // rows)
    assert all(cols[-1] <= rows * wo and np.prod(cols) * x.dtype.itemsize <= limit for cols in columns)
    np.testing.assert_allclose(host(y), expected, **TOLERANCE[dtype])
    assert np.abs(expected).max() > 0.1


@pytest.mark.parametrize("c_in,c_out,k,s,p,nhw", SHAPES[:6])
def test_the_layer_takes_the_bands_under_no_grad(monkeypatch, device, c_in, c_out, k, s, p, nhw):
    conv, x = make(c_in, c_out, k, s, p, nhw, np.float64, device, seed=1, bias=k != 1)
    expected = textbook(conv, x)
    monkeypatch.setattr(bands, "BAND_BYTES", bytes_per_output_row(conv, x))
    taken = spy(monkeypatch)
    with no_grad():
        y = conv(x)
    assert taken == [x.shape] and conv.cache is None
    np.testing.assert_allclose(host(y), expected, **TOLERANCE[np.float64])


def test_bands_split_over_threads_and_with_fresh_work_arrays(monkeypatch, splits):
    """A batch of bands large enough for several parts; and the same with the kept work arrays off."""
    monkeypatch.setattr(threads, "THREADS", 3)
    conv, x = make(8, 6, 3, 1, 1, (3, 61, 67), np.float32, "cpu", seed=2)
    expected = textbook(conv, x)
    monkeypatch.setattr(bands, "BAND_BYTES", 5 * bytes_per_output_row(conv, x))
    for off in ((), ("kept_buffers",), ("threads",)):
        with fast.enabled(False, *off) if off else fast.enabled(True):
            np.testing.assert_allclose(in_bands(conv, x), expected, rtol=1e-5, atol=1e-5)
    assert splits == [3, 3, 1]


def spy(monkeypatch):
    """Record the input shape of every call of the band route (the layer's fast route calls it as
    ``bands.conv2d_forward_in_bands``)."""
    calls, original = [], bands.conv2d_forward_in_bands

    def recording(x, *args):
        calls.append(tuple(x.shape))
        return original(x, *args)
    monkeypatch.setattr(bands, "conv2d_forward_in_bands", recording)
    return calls


def test_only_under_no_grad_and_only_above_band_bytes(monkeypatch):
    conv = Conv2d(4, 3, 3, padding=1)
    x = np.zeros((2, 4, 8, 10), np.float32)
    columns = 2 * 4 * 9 * 8 * 10 * 4                        # bytes of im2col(x)
    monkeypatch.setattr(bands, "BAND_BYTES", columns - 1)
    assert not applies(conv, x)                    # grad enabled: backward needs the columns
    with no_grad():
        assert applies(conv, x)
        monkeypatch.setattr(bands, "BAND_BYTES", columns)
        assert not applies(conv, x)                # not larger than BAND_BYTES
        assert applies(conv, np.zeros((2, 4, 8, 11), np.float32))
        assert applies(conv, np.zeros((2, 4, 8, 10), np.float64))
    taken = spy(monkeypatch)
    monkeypatch.setattr(bands, "BAND_BYTES", columns - 1)
    conv(x)
    with no_grad():
        conv(x)
    monkeypatch.setattr(bands, "BAND_BYTES", columns)
    with no_grad():
        conv(x)
    assert taken == [x.shape]


def test_the_switch_turns_it_off(monkeypatch):
    conv = Conv2d(4, 3, 3, padding=1)
    x = np.zeros((1, 4, 8, 10), np.float32)
    monkeypatch.setattr(bands, "BAND_BYTES", 1)
    assert "bands" in fast.TRICKS
    with no_grad():
        assert applies(conv, x)
        with fast.enabled(False, "bands"):
            assert not applies(conv, x)
            assert "bands" in fast.tricks_off()
        with fast.enabled(False):
            assert not applies(conv, x)
        with fast.enabled(False, "phases"):
            assert applies(conv, x)
        taken = spy(monkeypatch)
        with fast.enabled(False, "bands"):
            conv(x)
        assert taken == []
        conv(x)
        assert taken == [x.shape]


def test_the_default_band_is_32_mib():
    assert bands.BAND_BYTES == 32 * 2 ** 20


def peak_bytes(work):
    tracemalloc.start()
    try:
        work()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_memory_stays_far_below_the_column_matrix():
    """Conv2d(16, 16, 3, padding=1) on a 1000 x 1000 map: its column matrix is 16*9 * 10^6 * 4 bytes =
    576 MB. Under no_grad the bands keep the peak to the output, a band's work and the kept buffers."""
    conv = Conv2d(16, 16, 3, padding=1, rng=np.random.default_rng(0))
    x = np.random.default_rng(1).standard_normal((1, 16, 1000, 1000), dtype=np.float32)
    out = {}

    def predict():
        with no_grad():
            out["y"] = conv(x)
    peak = peak_bytes(predict)
    assert out["y"].shape == (1, 16, 1000, 1000)
    assert peak < 200e6, f"peak {peak / 1e6:.0f} MB"
    # the result is the textbook one (checked on a corner: the textbook route needs the 576 MB)
    corner = x[:, :, :40, :50]
    np.testing.assert_allclose(out["y"][:, :, :39, :49], textbook(conv, corner)[:, :, :39, :49], rtol=1e-4, atol=1e-4)


def test_without_the_trick_the_column_matrix_is_built():
    """The contrast that makes the memory test mean something: the textbook route's peak holds the
    whole column matrix (numpy reports its allocations to tracemalloc)."""
    conv = Conv2d(16, 16, 3, padding=1, rng=np.random.default_rng(0))
    x = np.zeros((1, 16, 300, 300), np.float32)
    columns = 16 * 9 * 300 * 300 * 4

    def predict():
        with no_grad(), fast.enabled(False, "bands"):
            conv(x)
    assert peak_bytes(predict) >= columns


def test_one_image_is_cut_into_a_band_per_thread(monkeypatch):
    """One sample for three threads: every thread gets a band (the batch alone would leave all but one
    idle); a column matrix at most BAND_BYTES is not cut at all."""
    monkeypatch.setattr(threads, "THREADS", 3)
    conv, x = make(8, 6, 3, 1, 1, (1, 40, 100), np.float32, "cpu", seed=3)
    columns = 8 * 9 * 40 * 100 * 4
    monkeypatch.setattr(bands, "BAND_BYTES", columns - 1)
    assert threads.THREADS * threads.MIN_PART_BYTES["products"] <= columns
    widths = products(monkeypatch)
    with no_grad():
        assert applies(conv, x)
        y = conv(x)
        monkeypatch.setattr(bands, "BAND_BYTES", columns)
        assert not applies(conv, x)
    assert sorted(shape[-1] for shape in widths) == [12 * 100, 14 * 100, 14 * 100]      # parts run in any order
    np.testing.assert_allclose(y, textbook(conv, x), rtol=1e-5, atol=1e-5)
