"""One switch turns every trick off; each can be turned off alone; the environment sets the start."""
import subprocess
import sys

import numpy as np
import pytest

from fcn_scratch import fast
from fcn_scratch.models import build


def test_enabled_turns_all_or_one_off_and_restores():
    assert fast.tricks_off() == []
    with fast.enabled(False):
        assert fast.tricks_off() == sorted(fast.TRICKS)
        with fast.enabled(True, "phases"):
            assert not fast.is_on("flat_shifts") and fast.is_on("phases")
    with fast.enabled(False, "phases"):
        assert fast.tricks_off() == ["phases"]
    assert fast.tricks_off() == []


def test_unknown_trick_is_named():
    with pytest.raises(ValueError, match="unknown trick 'warp'; expected one of"):
        with fast.enabled(False, "warp"):
            pass


@pytest.mark.parametrize("value,off", [("0", True), ("off", True), ("1", False)])
def test_environment_variable(value, off):
    code = "from fcn_scratch import fast; print(len(fast.tricks_off()))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={"FCN_SCRATCH_FAST": value, "PATH": ""})
    assert done.returncode == 0, done.stderr
    assert int(done.stdout) == (len(fast.TRICKS) if off else 0)


def _training_step(model, x, labels):
    from fcn_scratch.layers import SoftmaxCrossEntropy
    loss = SoftmaxCrossEntropy()
    value = loss(model(x), labels)
    model.backward(loss.backward(), input_grad=False)
    return value, {name: grad.copy() for name, _, grad in model.named_parameters()}


@pytest.mark.parametrize("off", [tuple(sorted(fast.TRICKS))] + [(name,) for name in sorted(fast.TRICKS)],
                         ids=["all"] + sorted(fast.TRICKS))
def test_a_training_step_is_the_same_with_and_without_each_trick(rng, off):
    model = build("fcn8s", num_classes=3, widths=(4, 4, 8, 8, 8), convs_per_block=1, fc_channels=8,
                  dropout=0.0, rng=np.random.default_rng(0), dtype=np.float64)
    for name in ("score_fr", "score_pool4", "score_pool3"):
        model.layers[name].params["weight"][...] = rng.standard_normal(model.layers[name].params["weight"].shape)
    x = rng.standard_normal((2, 3, 40, 36))
    labels = rng.integers(0, 3, (2, 40, 36))
    loss_on, grads_on = _training_step(model, x, labels)
    with fast.enabled(False, *off):
        assert fast.tricks_off() == sorted(off)
        loss_off, grads_off = _training_step(model, x, labels)
    assert loss_on == pytest.approx(loss_off, rel=1e-12)
    for name in grads_on:
        np.testing.assert_allclose(grads_on[name], grads_off[name], rtol=1e-9, atol=1e-12, err_msg=name)


def test_every_trick_is_asked_for_by_name_in_a_step_or_a_prediction(monkeypatch, rng):
    """No name in the table that no route reads: each one switches something."""
    from fcn_scratch import no_grad
    from fcn_scratch.fast import switch

    asked = set()

    class Asked(set):
        """The set of tricks turned off, noting every name looked up in it."""
        def __contains__(self, trick):
            asked.add(trick)
            return super().__contains__(trick)
    monkeypatch.setattr(switch, "_off", Asked(switch._off))
    model = build("fcn8s", num_classes=3, widths=(4, 4, 8, 8, 8), convs_per_block=1, fc_channels=8,
                  rng=np.random.default_rng(0))
    x = rng.standard_normal((2, 3, 40, 36)).astype(np.float32)
    _training_step(model, x, rng.integers(0, 3, (2, 40, 36)))
    with no_grad():
        model.eval()(np.zeros((1, 3, 40, 36), np.float32))
    assert asked == set(fast.TRICKS)
