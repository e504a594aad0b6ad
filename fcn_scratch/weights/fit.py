"""Does a file fit a model? One line that says what does not."""
from ..errors import InputError


def check_fit(key_map, file_shapes, file_label, model_label):
    """Raise a one-line InputError unless the file has every parameter ``key_map`` needs, each with
    the shape it needs, and nothing the map neither reads nor reads past.

    The line counts the missing, unexpected and mis-shaped keys and names the first of each:
    "vgg16.pth does not fit fcn8s-vgg16: 1 missing (first: features.28.weight (conv5_3.weight)),
    1 mis-shaped (first: classifier.0.weight (fc6.weight): file (4096, 9216), model (4096, 512, 7, 7))".
    """
    missing, misshaped = [], []
    for name, source in key_map.sources.items():
        if source.key not in file_shapes:
            if name not in key_map.optional:
                missing.append(_label(source.key, name))
        elif tuple(file_shapes[source.key]) != tuple(source.file_shape):
            misshaped.append(f"{_label(source.key, name)}: file {tuple(file_shapes[source.key])}, "
                             f"model {tuple(source.shape)}")
    used = {source.key for source in key_map.sources.values()} | key_map.ignored
    unexpected = [key for key in file_shapes if key not in used]
    problems = [f"{len(keys)} {kind} (first: {keys[0]})"
                for kind, keys in (("missing", missing), ("unexpected", unexpected), ("mis-shaped", misshaped))
                if keys]
    if problems:
        raise InputError(f"{file_label} does not fit {model_label}: {', '.join(problems)}")


def _label(key, name):
    """The file's key, and the parameter it fills where the names differ."""
    return key if key == name else f"{key} ({name})"
