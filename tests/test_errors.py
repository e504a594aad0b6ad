"""InputError: the user's mistakes are their own exception type, raised where the input is checked."""
import ast
from pathlib import Path

import numpy as np
import pytest

import fcn_scratch
from fcn_scratch import backend
from fcn_scratch.data import DataLoader, ToySegmentation
from fcn_scratch.errors import InputError
from fcn_scratch.layers import Conv2d, SoftmaxCrossEntropy
from fcn_scratch.models import build
from fcn_scratch.optim import SGD

PACKAGE = Path(fcn_scratch.__file__).parent


@pytest.mark.parametrize("check,message", [
    (lambda: build("fcn9s"), "unknown model 'fcn9s'"),
    (lambda: backend.check_device("tpu"), "unknown device 'tpu'"),
    (lambda: Conv2d(3, 4, 3)(np.zeros((1, 2, 8, 8), np.float32)), "expects 3 input channels, got 2"),
    (lambda: Conv2d(3, 4, 3)(np.zeros((2, 8, 8), np.float32)), "expects input of shape (N, C, H, W)"),
    (lambda: SoftmaxCrossEntropy()(np.zeros((1, 3, 2, 2)), np.full((1, 2, 2), 7)), "labels must be in [0, 3)"),
    (lambda: SGD(build("fcn8s", num_classes=2, widths=(2, 2, 2, 2, 2), fc_channels=2), lr=0), "learning rate"),
    (lambda: DataLoader(ToySegmentation("val", 4, 16, 3), 0), "batch_size must be at least 1"),
])
def test_checks_of_what_a_user_gives_raise_input_error(check, message):
    with pytest.raises(InputError) as info:
        check()
    assert message in str(info.value)
    assert isinstance(info.value, ValueError)          # code that catches ValueError still catches it


def test_the_package_raises_no_bare_value_error():
    """Every ValueError the package raises on purpose is an InputError; the one exception is the bench's
    comparison of our parameters with PyTorch's, where a difference is a bug of the bench."""
    raised = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call) \
                    and getattr(node.exc.func, "id", None) == "ValueError":
                raised.append(f"{path.relative_to(PACKAGE)}:{node.lineno}")
    assert raised and all(site.startswith("bench/torch_reference.py:") for site in raised), raised
