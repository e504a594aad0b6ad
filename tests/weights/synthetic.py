"""Synthetic weights files: the real key names and shapes of pytorch-fcn's, torchvision's and timm's
files, at reduced widths so that the tests run in moments, with random values so that every array
is told apart from every other; and damaged ``.npz`` files, one for each way NumPy and zipfile fail."""
import io
import lzma
import struct
import tokenize
import zipfile
import zlib
from pathlib import Path

import numpy as np
import pytest

from fcn_scratch.models import build

# VGG16's geometry (2, 2, 3, 3, 3 convolutions, conv1_1 padded by 100, a 7x7 fc6) with few channels.
SMALL = dict(widths=(4, 4, 8, 8, 8), fc_channels=16)
VGG16_CONVS = ["conv1_1", "conv1_2", "conv2_1", "conv2_2", "conv3_1", "conv3_2", "conv3_3",
               "conv4_1", "conv4_2", "conv4_3", "conv5_1", "conv5_2", "conv5_3"]
# Where torchvision's VGG16 keeps them: ``features`` is conv, ReLU per convolution and a pool after each block.
VGG16_FEATURES = [0, 2, 5, 7, 10, 12, 14, 17, 19, 21, 24, 26, 28]


def fcn_state(model_name="fcn8s-vgg16", num_classes=21, seed=0, **config):
    """``{name: random float32 array}`` with every key and shape of ``model_name``'s (pytorch-fcn's) state dict."""
    shapes = {name: value.shape for name, value, _ in
              build(model_name, num_classes=num_classes, **{**SMALL, **config}).named_parameters(True)}
    return _random(shapes, seed)


def model_shapes(model_name="fcn8s-vgg16", **config):
    """``{name: shape}`` of a model's parameters, at reduced widths unless ``config`` says otherwise."""
    return {name: tuple(value.shape) for name, value, _ in
            build(model_name, **{**SMALL, **config}).named_parameters(True)}


def classifier_state(family, widths=SMALL["widths"], fc_channels=SMALL["fc_channels"], seed=0):
    """A VGG16 ImageNet classifier's state dict as torchvision (``family="torchvision"``) or timm
    (``"timm"``) names it, with ``widths`` channels per block and ``fc_channels`` in fc6 and fc7."""
    shapes, channels = {}, 3
    for conv, index in zip(VGG16_CONVS, VGG16_FEATURES):
        width = widths[int(conv[4]) - 1]
        shapes[f"features.{index}.weight"], shapes[f"features.{index}.bias"] = (width, channels, 3, 3), (width,)
        channels = width
    if family == "torchvision":
        fc6, fc7, imagenet = "classifier.0", "classifier.3", "classifier.6"
        shapes[f"{fc6}.weight"], shapes[f"{fc7}.weight"] = (fc_channels, channels * 7 * 7), (fc_channels, fc_channels)
    else:
        fc6, fc7, imagenet = "pre_logits.fc1", "pre_logits.fc2", "head.fc"
        shapes[f"{fc6}.weight"] = (fc_channels, channels, 7, 7)
        shapes[f"{fc7}.weight"] = (fc_channels, fc_channels, 1, 1)
    shapes[f"{fc6}.bias"] = shapes[f"{fc7}.bias"] = (fc_channels,)
    shapes[f"{imagenet}.weight"], shapes[f"{imagenet}.bias"] = (1000, fc_channels), (1000,)
    return _random(shapes, seed)


def _random(shapes, seed):
    rng = np.random.default_rng(seed)
    return {name: rng.standard_normal(shape).astype(np.float32) for name, shape in shapes.items()}


def write(state, path):
    """Write ``{name: array}`` to ``path`` in the format its suffix names; returns the path."""
    if path.suffix == ".safetensors":
        from safetensors.numpy import save_file
        save_file(state, path)
    elif path.suffix == ".npz":
        np.savez(path, **state)
    else:
        import torch
        torch.save({name: torch.from_numpy(array) for name, array in state.items()}, path)
    return path


# Each way an .npz can be damaged, and what NumPy (or zipfile, zlib, bz2, lzma under it) raises reading it.
DAMAGE = {
    "empty": EOFError,
    "random bytes": ValueError,                         # taken for a pickle, which allow_pickle=False refuses
    "cut short": zipfile.BadZipFile,
    "an array's .npy header not a dict": ValueError,
    "an array's .npy header not Python": tokenize.TokenError,
    "an array cut short": ValueError,
    "an array's bytes altered": zipfile.BadZipFile,     # its CRC-32
    "deflate data damaged": zlib.error,
    "bzip2 data damaged": OSError,
    "lzma data damaged": lzma.LZMAError,
    "an encrypted member": RuntimeError,
    "an unknown compression method": NotImplementedError,
    "a member's offset before the file's start": OSError,
}
COMPRESSION = {"deflate data damaged": zipfile.ZIP_DEFLATED, "bzip2 data damaged": zipfile.ZIP_BZIP2,
               "lzma data damaged": zipfile.ZIP_LZMA}


def damaged_npz(source, path, kind):
    """Write to ``path`` the .npz ``source`` damaged as ``kind`` (a key of DAMAGE) says; returns ``path``.
    The damage is in its largest member, an array (not a checkpoint's header)."""
    data = Path(source).read_bytes()
    whole = {"empty": b"", "random bytes": np.random.default_rng(0).bytes(1000), "cut short": data[:len(data) // 2]}
    if kind in whole:
        path.write_bytes(whole[kind])
        return path
    with zipfile.ZipFile(source) as z:
        members = {name: z.read(name) for name in z.namelist()}
    victim = max(members, key=lambda name: len(members[name]))
    members[victim] = {
        "an array's .npy header not a dict": _npy_with_header(b"[1, 2, 3]"),
        "an array's .npy header not Python": _npy_with_header(b"{'descr': '<f4', 'shape': (3,, }"),
        "an array cut short": members[victim][:-8],
    }.get(kind, members[victim])
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=COMPRESSION.get(kind, zipfile.ZIP_STORED)) as z:
        for name, member in members.items():
            z.writestr(name, member)
        info = z.getinfo(victim)
    out = bytearray(buf.getvalue())
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)     # the member's data
    central = out.index(b"PK\x01\x02")                  # the member's entry in the central directory
    while out[central + 46:central + 46 + struct.unpack("<H", out[central + 28:central + 30])[0]] != victim.encode():
        central = out.index(b"PK\x01\x02", central + 1)
    if kind == "an array's bytes altered":
        out[start + info.compress_size // 2] ^= 0xFF
    elif kind in COMPRESSION:
        out[start + 20:start + 60] = bytes(40)
    elif kind == "an encrypted member":
        out[info.header_offset + 6] |= 1
        out[central + 8] |= 1
    elif kind == "an unknown compression method":
        out[info.header_offset + 8:info.header_offset + 10] = out[central + 10:central + 12] = struct.pack("<H", 99)
    elif kind == "a member's offset before the file's start":
        end = out.rindex(b"PK\x05\x06")        # the central directory is said to start 100 bytes later
        out[end + 16:end + 20] = struct.pack("<I", struct.unpack("<I", out[end + 16:end + 20])[0] + 100)
    path.write_bytes(bytes(out))
    return path


def _npy_with_header(header):
    """A version 1.0 .npy of ``header`` (padded as NumPy pads it) and no data."""
    header += b" " * (-(len(header) + 11) % 64) + b"\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header


def torch_or_skip():
    """PyTorch, or the test is skipped with the reason (a user's plain pytest, without PyTorch)."""
    return pytest.importorskip("torch", reason="PyTorch is not installed: the tests of .pth files and the "
                                               "comparisons with a PyTorch module run where it is (CI installs it)")
