"""output_shapes() and recording_output_shapes(): every layer's output shape through forward hooks, which
come off again; the model's mode is kept and the layers keep no shape of their own."""
import numpy as np
import pytest

from fcn_scratch.layers import Conv2d, Layer, MaxPool2d
from fcn_scratch.models import Model, build, output_shapes, recording_output_shapes

TINY = dict(widths=(2, 3, 3, 4, 4), convs_per_block=1, fc_channels=4, dropout=0.5)


def tiny_fcn8s():
    return build("fcn8s", num_classes=3, rng=np.random.default_rng(0), **TINY)


@pytest.fixture
def hook_calls(monkeypatch):
    """``[count]`` of the calls of every forward hook registered from now on (summary's too), seen through the
    public ``register_forward_hook``: a pass that adds none left no hook on."""
    calls, register = [0], Layer.register_forward_hook

    def counted(layer, hook):
        def call(*args):
            calls[0] += 1
            return hook(*args)
        return register(layer, call)
    monkeypatch.setattr(Layer, "register_forward_hook", counted)
    return calls


def hooks_run(model, calls, shape=(1, 3, 20, 20)):
    """How many hooks one forward pass on zeros calls."""
    before = calls[0]
    model(np.zeros(shape, np.float32))
    return calls[0] - before


class PoolThenConv(Model):
    """A pool that returns (y, indices), as lesson 11's encoder does, then a 1x1 convolution of y."""

    def __init__(self):
        super().__init__()
        self.pool = MaxPool2d(2, return_indices=True)
        self.conv = Conv2d(2, 5, 1, rng=np.random.default_rng(0))

    def forward(self, x):
        y, _ = self.pool(x)
        return self.conv(y)


def test_fcn8s_on_an_odd_size_every_layer_in_the_order_it_runs(hook_calls):
    model = tiny_fcn8s()
    shapes = output_shapes(model, (2, 3, 45, 38))
    assert set(shapes) == set(model.layers)
    assert list(shapes)[:len(model.features)] == model.features
    assert list(shapes)[-2:] == ["upscore8", "crop_upscore8"]
    # by hand: ceil-mode pools 45 -> 23 -> 12 -> 6 -> 3 -> 2 and 38 -> 19 -> 10 -> 5 -> 3 -> 2; each 2x
    # upsampling (kernel 4) gives 2h + 2, upscore8 (kernel 16) 8h + 8; each Fuse keeps the smaller map
    expected = {"conv1_1": (2, 2, 45, 38), "pool1": (2, 2, 23, 19), "pool3": (2, 3, 6, 5), "pool4": (2, 4, 3, 3),
                "pool5": (2, 4, 2, 2), "fc7": (2, 4, 2, 2), "score_fr": (2, 3, 2, 2), "upscore2": (2, 3, 6, 6),
                "score_pool4": (2, 3, 3, 3), "fuse_pool4": (2, 3, 3, 3), "upscore_pool4": (2, 3, 8, 8),
                "score_pool3": (2, 3, 6, 5), "fuse_pool3": (2, 3, 6, 5), "upscore8": (2, 3, 56, 48),
                "crop_upscore8": (2, 3, 45, 38)}
    assert {name: shapes[name] for name in expected} == expected
    assert output_shapes(model, (3, 45, 38))["crop_upscore8"] == (1, 3, 45, 38)
    assert hook_calls[0] == 2 * len(shapes) and hooks_run(model, hook_calls) == 0


def test_a_layer_that_returns_a_tuple_gives_its_first_elements_shape():
    shapes = output_shapes(PoolThenConv(), (2, 7, 9))
    assert shapes == {"pool": (1, 2, 3, 4), "conv": (1, 5, 3, 4)}


def test_recording_fills_while_the_block_runs_and_every_pass_counts(hook_calls):
    model = PoolThenConv()
    with recording_output_shapes(model) as shapes:
        assert shapes == {}
        assert hooks_run(model, hook_calls, (1, 2, 8, 8)) == 2          # one hook on each layer
        assert shapes["pool"] == (1, 2, 4, 4)
        model(np.zeros((3, 2, 6, 10), np.float32))
        assert shapes == {"pool": (3, 2, 3, 5), "conv": (3, 5, 3, 5)}
    assert hooks_run(model, hook_calls, (1, 2, 8, 8)) == 0
    model(np.zeros((1, 2, 2, 2), np.float32))
    assert shapes["pool"] == (3, 2, 3, 5)                  # the block is over: nothing notes this pass


def test_the_hooks_come_off_when_the_forward_raises(hook_calls):
    model = tiny_fcn8s()
    with pytest.raises(ValueError, match="expects 3 input channels"):
        with recording_output_shapes(model):
            model(np.zeros((1, 4, 20, 20), np.float32))
    assert hooks_run(model, hook_calls) == 0
    with pytest.raises(ValueError, match="expects 3 input channels"):
        output_shapes(model, (4, 20, 20))
    assert hooks_run(model, hook_calls) == 0


def test_only_its_own_hooks_come_off(hook_calls):
    model = tiny_fcn8s()
    seen = []
    handle = model.pool3.register_forward_hook(lambda layer, args, out: seen.append(out.shape))
    output_shapes(model, (3, 20, 20))
    assert seen == [(1, 3, 3, 3)]
    assert hooks_run(model, hook_calls) == 1 and seen == [(1, 3, 3, 3)] * 2       # the user's hook stays on
    handle.remove()
    assert hooks_run(model, hook_calls) == 0


@pytest.mark.parametrize("training", [True, False])
def test_the_mode_is_restored_and_the_pass_runs_in_eval_without_caches(training):
    model = tiny_fcn8s().train(training)
    model(np.zeros((1, 3, 20, 20), np.float32))
    assert model.conv1_1.cache is not None
    streams = model.rng_state()
    output_shapes(model, (3, 20, 20))
    assert model.training == training
    assert all(layer.training == training for layer in model.layers.values())
    assert model.rng_state() == streams                    # eval: the dropouts drew no mask
    assert all(layer.cache is None for layer in model.layers.values())      # no_grad(): nothing kept
    with pytest.raises(ValueError, match="input_size must be"):
        output_shapes(model, (20, 20))
    assert model.training == training


def test_layers_keep_no_output_shape():
    model = tiny_fcn8s()
    model(np.zeros((1, 3, 20, 20), np.float32))
    output_shapes(model, (3, 20, 20))
    assert not any(hasattr(layer, "output_shape") for layer in model.layers.values())


def test_summary_reads_the_same_shapes(hook_calls):
    model = tiny_fcn8s()
    text = model.summary((2, 3, 45, 38))
    lines = text.splitlines()
    assert lines[0] == "FCN8s on a 2 x 3 x 45 x 38 input: logits (2, 3, 45, 38)"
    assert lines[3].split() == ["input", "(2,", "3,", "45,", "38)"]
    for name, shape in output_shapes(model, (2, 3, 45, 38)).items():
        row = next(line for line in lines if line.split()[0] == name)
        assert str(shape) in row
    assert hooks_run(model, hook_calls) == 0
