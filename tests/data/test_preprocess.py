import json

import numpy as np
import pytest

from fcn_scratch.data import CAFFE_VGG, PRESETS, TORCHVISION_IMAGENET, Preprocessing


def image(seed=0, shape=(3, 5, 7)):
    return np.random.default_rng(seed).random(shape, dtype=np.float32)


def test_the_default_changes_nothing():
    x = image()
    np.testing.assert_array_equal(Preprocessing()(x), x)


def test_bgr_reverses_the_channels_and_mean_and_std_are_in_the_nets_order():
    x = image()
    p = Preprocessing("BGR", 2.0, (0.1, 0.2, 0.3), (1.0, 2.0, 4.0))
    y = p(x)
    for net_channel, rgb_channel in enumerate((2, 1, 0)):
        expected = (x[rgb_channel] * 2 - p.mean[net_channel]) / p.std[net_channel]
        np.testing.assert_allclose(y[net_channel], expected, rtol=1e-6)


def test_caffe_weights_see_0_255_bgr_minus_the_vgg_mean():
    pixel = np.array([200, 100, 50], np.uint8)                    # R, G, B as a photo stores them
    x = np.broadcast_to((pixel / 255).astype(np.float32)[:, None, None], (3, 2, 2))
    y = CAFFE_VGG(x)
    np.testing.assert_allclose(y[:, 0, 0], [50 - 104.00698793, 100 - 116.66876762, 200 - 122.67891434], atol=1e-4)
    assert y.dtype == np.float32


def test_torchvision_weights_see_rgb_normalized_by_imagenets_mean_and_std():
    x = np.full((3, 1, 1), 0.5, np.float32)
    np.testing.assert_allclose(TORCHVISION_IMAGENET(x).ravel(),
                               [(0.5 - 0.485) / 0.229, (0.5 - 0.456) / 0.224, (0.5 - 0.406) / 0.225], rtol=1e-5)


def test_a_batch_is_each_image_on_its_own():
    batch = np.stack([image(0), image(1)])
    out = CAFFE_VGG(batch)
    assert out.shape == batch.shape and out.dtype == np.float32
    np.testing.assert_array_equal(out[1], CAFFE_VGG(batch[1]))


def test_the_record_goes_through_json_and_back():
    for preprocessing in PRESETS.values():
        assert Preprocessing.from_dict(json.loads(json.dumps(preprocessing.to_dict()))) == preprocessing


def test_from_meta_reads_the_record_then_the_older_mean_and_std_then_nothing():
    assert Preprocessing.from_meta({"preprocessing": CAFFE_VGG.to_dict(), "mean": [0, 0, 0], "std": [1, 1, 1]}) \
        == CAFFE_VGG
    old = Preprocessing.from_meta({"mean": [0.4, 0.5, 0.6], "std": [0.2, 0.25, 0.3], "epoch": 3})
    assert old == Preprocessing("RGB", 1.0, (0.4, 0.5, 0.6), (0.2, 0.25, 0.3))
    assert Preprocessing.from_meta({"epoch": 3}) == Preprocessing()


def test_it_prints_in_one_short_line():
    assert str(CAFFE_VGG) == "BGR, x255, mean (104.007, 116.669, 122.679), std (1, 1, 1)"


@pytest.mark.parametrize("kwargs, message", [
    (dict(channel_order="BRG"), "channel_order must be one of"),
    (dict(mean=(0.5, 0.5)), "mean and std need 3 values each, got 2 and 3"),
    (dict(std=(1.0, 0.0, 1.0)), "scale and std must be positive"),
    (dict(scale=-1), "scale and std must be positive"),
])
def test_a_bad_record_is_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Preprocessing(**kwargs)


def test_an_image_without_three_channels_is_refused():
    with pytest.raises(ValueError, match=r"expected RGB images \(3, H, W\) or \(N, 3, H, W\), got shape \(4, 5, 7\)"):
        Preprocessing()(image(shape=(4, 5, 7)))
