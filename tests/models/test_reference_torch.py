"""Our nets against the PyTorch reference (fcn_scratch.bench.torch_reference, written as pytorch-fcn writes
its modules): the same parameter names and shapes, and with the same weights the same logits and the same
gradients, in the paper's geometry and in the small one. Skipped where PyTorch is not installed."""
import math

import numpy as np
import pytest

from fcn_scratch import no_grad
from fcn_scratch.bench.torch_reference import copy_weights, torch_fcn
from fcn_scratch.functional import no_init
from fcn_scratch.models import REFERENCE, build

torch = pytest.importorskip("torch", reason="PyTorch is not installed: the comparisons with pytorch-fcn's "
                                            "modules are skipped (pip install torch to run them)")

# narrow, in each geometry: the paper's (conv1_1 padded by 100, a 7x7 fc6) and the course's small one
SIZES = dict(widths=(4, 4, 8, 8, 8), fc_channels=16)
SMALL_SIZES = dict(SIZES, convs_per_block=2, fc6_kernel=3)
NAMES = sorted(REFERENCE) + ["fcn8s", "fcn16s", "fcn32s"]
# float32 to its rounding over the net; float64, where both sides round alike, to 1e-12
TOLERANCE = {np.float32: 2e-5, np.float64: 1e-12}


def sizes(name):
    return SIZES if name in REFERENCE else SMALL_SIZES


def pair(name, dtype, seed=0):
    """Our net and the PyTorch one with the same random weights, every one drawn (the zero-started score
    layers and the upsamplings too, so that a layout the bilinear kernels would hide shows)."""
    ours = build(name, num_classes=5, dtype=dtype, **sizes(name)).eval()
    rng = np.random.default_rng(seed)
    ours.load_state_dict({key: (rng.standard_normal(value.shape) * 0.5).astype(dtype)
                          for key, value in ours.state_dict().items()})
    theirs = torch_fcn(name, 5, **sizes(name)).to(getattr(torch, np.dtype(dtype).name))
    copy_weights(theirs, ours)
    return ours, theirs.eval()


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("hw", [(32, 32), (67, 45), (1, 1), (97, 64), (200, 161)])
def test_logits_equal_pytorch_fcn(name, dtype, hw):
    ours, theirs = pair(name, dtype)
    x = (np.random.default_rng(2).random((2, 3) + hw) * 255 - 120).astype(dtype)
    with no_grad():
        mine = ours(x)
    with torch.no_grad():
        reference = theirs(torch.from_numpy(x)).numpy()
    assert mine.shape == reference.shape == (2, 5) + hw and mine.dtype == dtype
    scale = np.abs(reference).max()
    assert scale > 1e-3
    np.testing.assert_allclose(mine, reference, rtol=0, atol=TOLERANCE[dtype] * scale)


@pytest.mark.parametrize("name", NAMES)
def test_gradients_equal_pytorch_autograd(name):
    ours, theirs = pair(name, np.float64, seed=3)
    rng = np.random.default_rng(4)
    x = rng.standard_normal((1, 3, 45, 38))
    g = rng.standard_normal((1, 5, 45, 38))
    ours(x)
    dx = ours.backward(g)
    xt = torch.from_numpy(x).requires_grad_(True)
    (theirs(xt) * torch.from_numpy(g)).sum().backward()
    np.testing.assert_allclose(dx, xt.grad.numpy(), rtol=1e-9, atol=1e-9 * np.abs(dx).max())
    torch_grads = dict(theirs.named_parameters())
    trained = [pname for pname, _, _ in ours.named_parameters()]
    assert set(trained) < set(torch_grads) and "score_fr.weight" in trained
    for pname, _, grad in ours.named_parameters():
        expected = torch_grads[pname].grad.numpy()
        np.testing.assert_allclose(grad, expected, rtol=1e-9, atol=1e-9 * max(np.abs(expected).max(), 1e-30),
                                   err_msg=pname)


@pytest.mark.parametrize("name", sorted(REFERENCE))
def test_the_full_size_nets_have_pytorch_fcn_s_parameters(name):
    """Every name and shape of pytorch-fcn's state dict (its modules built on the meta device: shapes, no
    memory), no other."""
    with no_init():
        ours = build(name)
    with torch.device("meta"):
        theirs = torch_fcn(name)
    expected = {key: tuple(value.shape) for key, value in theirs.state_dict().items()}
    assert {key: tuple(value.shape) for key, value, _ in ours.named_parameters(include_frozen=True)} == expected
    assert ours.num_parameters() == sum(math.prod(shape) for shape in expected.values())


@pytest.mark.slow
def test_full_size_fcn8s_equals_pytorch_fcn_on_a_small_photo():
    """The real widths (134,489,759 parameters) on a 64 x 48 image: the reference's logits to float32 rounding."""
    with no_init():
        ours = build("fcn8s-vgg16").eval()
    rng = np.random.default_rng(5)
    state = {}
    for k, v in ours.state_dict().items():
        fan_in = int(np.prod(v.shape[1:])) if v.ndim > 1 else 1
        state[k] = (rng.standard_normal(v.shape, np.float32) * np.float32(np.sqrt(2.0 / fan_in)))
    ours.load_state_dict(state)
    theirs = torch_fcn("fcn8s-vgg16")
    copy_weights(theirs, ours)
    x = rng.random((1, 3, 64, 48), np.float32) * 255 - 120
    with no_grad():
        mine = ours(x)
    with torch.no_grad():
        reference = theirs.eval()(torch.from_numpy(x)).numpy()
    assert np.abs(reference).max() > 1e-2
    np.testing.assert_allclose(mine, reference, rtol=0, atol=1e-4 * np.abs(reference).max())
