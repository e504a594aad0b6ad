"""The paper's nets against a PyTorch module written as pytorch-fcn writes them (tests/torch_fcn.py):
the same weights give the same logits and the same gradients. Skipped where PyTorch is not installed."""
import numpy as np
import pytest

from fcn_scratch import no_grad
from fcn_scratch.functional import no_init
from fcn_scratch.models import build

torch = pytest.importorskip("torch", reason="PyTorch is not installed: the comparisons with pytorch-fcn's "
                                            "modules are skipped (pip install torch to run them)")
from tests.torch_fcn import TorchFCN  # noqa: E402

VARIANTS = {"fcn32s-vgg16": "32s", "fcn16s-vgg16": "16s", "fcn8s-vgg16": "8s", "fcn8s-atonce-vgg16": "8s-atonce"}
REDUCED = dict(widths=(4, 4, 8, 8, 8), fc_channels=16)


def _pair(name, dtype, seed=0, **config):
    """Our net and the PyTorch one with the same random weights (score layers random too)."""
    ours = build(name, rng=np.random.default_rng(seed), dtype=dtype, **config).eval()
    rng = np.random.default_rng(seed + 1)
    state = {k: (v if v.any() else rng.standard_normal(v.shape).astype(v.dtype) * 0.1)
             for k, v in ours.state_dict().items()}
    ours.load_state_dict(state)
    sizes = {k: config[k] for k in ("widths", "fc_channels") if k in config}
    theirs = TorchFCN(VARIANTS[name], n_class=ours.num_classes, **sizes).to(getattr(torch, np.dtype(dtype).name))
    theirs.load_state_dict({k: torch.from_numpy(v) for k, v in state.items()}, strict=True)
    return ours, theirs.eval()


@pytest.mark.parametrize("name", sorted(VARIANTS))
@pytest.mark.parametrize("hw", [(32, 32), (67, 45), (1, 1), (200, 161)])
def test_logits_equal_pytorch_fcn(name, hw):
    ours, theirs = _pair(name, np.float32, **REDUCED)
    x = np.random.default_rng(2).random((2, 3) + hw).astype(np.float32) * 255 - 120
    with no_grad():
        mine = ours(x)
    with torch.no_grad():
        reference = theirs(torch.from_numpy(x)).numpy()
    assert mine.shape == reference.shape == (2, 21) + hw
    scale = np.abs(reference).max()
    assert scale > 1e-3
    np.testing.assert_allclose(mine, reference, rtol=0, atol=2e-5 * scale)


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_gradients_equal_pytorch_autograd(name):
    ours, theirs = _pair(name, np.float64, seed=3, **REDUCED)
    rng = np.random.default_rng(4)
    x = rng.standard_normal((1, 3, 45, 38))
    g = rng.standard_normal((1, 21, 45, 38))
    ours(x)
    dx = ours.backward(g)
    xt = torch.from_numpy(x).requires_grad_(True)
    (theirs(xt) * torch.from_numpy(g)).sum().backward()
    np.testing.assert_allclose(dx, xt.grad.numpy(), rtol=1e-9, atol=1e-9 * np.abs(dx).max())
    torch_grads = dict(theirs.named_parameters())
    for pname, _, grad in ours.named_parameters():
        expected = torch_grads[pname].grad.numpy()
        np.testing.assert_allclose(grad, expected, rtol=1e-9, atol=1e-9 * max(np.abs(expected).max(), 1e-30),
                                   err_msg=pname)


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
    theirs = TorchFCN("8s")
    theirs.load_state_dict({k: torch.from_numpy(v) for k, v in state.items()}, strict=True)
    x = rng.random((1, 3, 64, 48), np.float32) * 255 - 120
    with no_grad():
        mine = ours(x)
    with torch.no_grad():
        reference = theirs.eval()(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(mine, reference, rtol=0, atol=1e-4 * np.abs(reference).max())
