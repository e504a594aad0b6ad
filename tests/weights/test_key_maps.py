import pytest

from fcn_scratch.weights import key_map, recognize
from tests.weights.synthetic import VGG16_CONVS, VGG16_FEATURES, classifier_state, fcn_state, model_shapes


def test_each_family_is_recognized_by_its_keys():
    assert recognize(fcn_state()) == "pytorch-fcn"
    assert recognize(classifier_state("torchvision")) == "torchvision-vgg16"
    assert recognize(classifier_state("timm")) == "timm-vgg16"


def test_other_keys_are_one_line_that_names_a_few():
    with pytest.raises(ValueError, match=r"none of pytorch-fcn's .* the file has a, b, c, d, \.\.\.$"):
        recognize(["e", "d", "c", "b", "a"])


def test_pytorch_fcn_keys_are_ours_and_the_upsamplings_may_be_absent():
    mapping = key_map("pytorch-fcn", model_shapes())
    assert all(source.key == name and source.file_shape == source.shape for name, source in mapping.sources.items())
    assert mapping.optional == {"upscore2.weight", "upscore_pool4.weight", "upscore8.weight"}


@pytest.mark.parametrize("family", ["torchvision-vgg16", "timm-vgg16"])
def test_vgg16_convolutions_come_from_their_places_in_features(family):
    sources = key_map(family, model_shapes()).sources
    assert [sources[f"{conv}.weight"].key for conv in VGG16_CONVS] == [f"features.{i}.weight" for i in VGG16_FEATURES]
    assert [sources[f"{conv}.bias"].key for conv in VGG16_CONVS] == [f"features.{i}.bias" for i in VGG16_FEATURES]


def test_the_places_follow_the_convolutions_per_block():
    sources = key_map("torchvision-vgg16", model_shapes("fcn8s", num_classes=3, convs_per_block=1)).sources
    assert [sources[f"conv{b}_1.weight"].key for b in range(1, 6)] == [f"features.{i}.weight" for i in (0, 3, 6, 9, 12)]


def test_torchvision_fc6_and_fc7_are_linear_layers_reshaped_to_convolutions():
    mapping = key_map("torchvision-vgg16", model_shapes())
    fc6, fc7 = mapping.sources["fc6.weight"], mapping.sources["fc7.weight"]
    assert (fc6.key, fc6.file_shape, fc6.shape) == ("classifier.0.weight", (16, 8 * 7 * 7), (16, 8, 7, 7))
    assert (fc7.key, fc7.file_shape, fc7.shape) == ("classifier.3.weight", (16, 16), (16, 16, 1, 1))
    assert mapping.sources["fc6.bias"].key == "classifier.0.bias"
    assert mapping.ignored == {"classifier.6.weight", "classifier.6.bias"}


def test_timm_fc6_and_fc7_are_convolutions_already():
    mapping = key_map("timm-vgg16", model_shapes())
    fc6, fc7 = mapping.sources["fc6.weight"], mapping.sources["fc7.weight"]
    assert (fc6.key, fc6.file_shape) == ("pre_logits.fc1.weight", (16, 8, 7, 7))
    assert (fc7.key, fc7.file_shape) == ("pre_logits.fc2.weight", (16, 16, 1, 1))
    assert mapping.ignored == {"head.fc.weight", "head.fc.bias"}


@pytest.mark.parametrize("family", ["torchvision-vgg16", "timm-vgg16"])
def test_the_classifiers_leave_the_score_layers_and_upsamplings_to_the_model(family):
    taken = {name.rsplit(".", 1)[0] for name in key_map(family, model_shapes()).sources}
    assert taken == set(VGG16_CONVS) | {"fc6", "fc7"}
