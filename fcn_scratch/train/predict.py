"""Prediction: images to class masks, one image at a time, in bounded memory.

Each image is fed at its own size (or scaled to the size the model learned
at), in the preprocessing the model's weights expect, inside
:func:`fcn_scratch.no_grad`: no layer keeps a cache, and the large
convolutions of one image make no column matrix
(:mod:`fcn_scratch.fast.shifted_taps`), so memory grows with the image's maps,
not with their column matrices.
"""
import os
from pathlib import Path

import numpy as np

from .. import backend
from ..checkpoint import load_model, read_header
from ..data import IMAGE_SUFFIXES, NoteOnce, Preprocessing, read_image, resize_image, resize_labels, save_mask
from ..errors import InputError
from ..files import check_writable
from ..viz import save_overlay


def predict_batch(model, images):
    """Host network inputs (N, C, H, W), already preprocessed -> host class predictions (N, H, W), on the
    model's device, in eval mode (restored after)."""
    xp = backend.xp_for(model.device)
    with model.predicting():
        logits = model(xp.asarray(images, dtype=model.dtype))
    return backend.to_host(logits.argmax(axis=1))


def predict_image(model, image, preprocessing, longer_side=None):
    """An image (3, H, W) in [0, 1] -> class indices (H, W). With ``longer_side``, the image is scaled so
    that its longer side has that many pixels, predicted, and the mask scaled back (nearest neighbour)."""
    size = image.shape[1:]
    if longer_side is None:
        return predict_batch(model, preprocessing(image[None]))[0]
    small = resize_image(image, _scaled(size, longer_side))
    return resize_labels(predict_batch(model, preprocessing(small[None]))[0], size)


def image_files(paths):
    """The image files that ``paths`` (a list) name, in order: a file as given (:func:`predict_files`
    reports one it cannot read), a folder's images by suffix, sorted by name, its subfolders left out.
    Returns a list of Paths; InputError if there are none."""
    files = []
    for item in map(Path, paths):
        if item.is_dir():
            files += sorted(f for f in item.iterdir() if f.suffix.lower() in IMAGE_SUFFIXES)
        else:
            files.append(item)
    if not files:
        raise InputError(f"no images found in {', '.join(map(str, paths))}")
    return files


def output_names(files):
    """A distinct name for each image file, for :func:`predict_files`: its stem, with its folder's name
    where stems repeat (``a/x.png`` and ``b/x.png`` give ``a_x`` and ``b_x``), numbered where still alike."""
    files = [Path(f) for f in files]
    stems = [f.stem for f in files]
    names = [f"{f.parent.name}_{f.stem}" if stems.count(f.stem) > 1 and f.parent.name else f.stem for f in files]
    for i, name in enumerate(names):
        if names.count(name) > 1:
            names[i] = f"{name}_{i + 1}"
            while names[i] in names[:i]:        # an earlier image's own name: x_2.png before x.png and x.jpg
                names[i] += f"_{i + 1}"
    return names


def prediction_bytes(model, size):
    """About how many bytes predicting one image of ``size`` (H, W) takes: the parameters, and four maps
    of the first convolution's output, the largest a forward holds (its input and output, the next layer's
    padded copy of it and its work beside them). The paper's FCN-8s at 500 x 500: 1.04 GB estimated, 1.12 GB
    measured (2026-12-08)."""
    pad, itemsize = model.config["conv1_padding"], np.dtype(model.dtype).itemsize
    h, w = (side + 2 * pad - 2 for side in size)
    return (model.num_parameters() + 4 * model.widths[0] * h * w) * itemsize


def _scaled(size, longer_side):
    """(H, W) ``size`` scaled so that its longer side is ``longer_side``, as :func:`predict_image` scales."""
    scale = longer_side / max(size)
    return tuple(max(1, round(side * scale)) for side in size)


def default_memory_budget():
    """Half of the machine's memory, in bytes (None where the system does not say)."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 2
    except (ValueError, OSError, AttributeError):
        return None


def predict_files(model, files, names, out, preprocessing, longer_side=None, trained_at=None, print_fn=print,
                  memory_budget=None):
    """Write ``<name>_mask.png`` (VOC palette) and ``<name>_overlay.png`` (with a legend of the classes
    found) into ``out`` for every image file, and print what each holds, and once each what the image
    reader did to a colour mode or an EXIF orientation. An image that cannot be read, or whose prediction
    would take more than ``memory_budget`` bytes (:func:`prediction_bytes`), is reported and skipped.
    Returns ``[(file, reason), ...]`` for those."""
    failures, note, scale_noted = [], NoteOnce(print_fn), False
    class_names = model.class_names
    for f, name in zip(files, names):
        try:
            picture = read_image(f)
        except (OSError, InputError) as exc:
            failures.append((f, str(exc)))
            print_fn(f"{f}: skipped: {exc}")
            continue
        note(picture)
        image = picture.pixels
        size = image.shape[1:]
        fed = _scaled(size, longer_side or max(size))
        if memory_budget is not None and prediction_bytes(model, fed) > memory_budget:
            fits = max(size)
            while fits > 16 and prediction_bytes(model, _scaled(size, fits)) > memory_budget:
                fits = int(fits * 0.9)
            reason = (f"predicting it at {fed[1]} x {fed[0]} would take about {prediction_bytes(model, fed) / 1e9:.1f}"
                      f" GB, past the memory budget of {memory_budget / 1e9:.1f} GB (--memory-budget); "
                      f"--resize {fits} predicts it within it")
            failures.append((f, reason))
            print_fn(f"{f}: skipped: {reason}")
            continue
        if longer_side is None and trained_at and max(size) > 2 * trained_at and not scale_noted:
            scale_noted = True
            print_fn(f"note: {f} is {size[1]} x {size[0]} pixels, the model learned on {trained_at}; objects "
                     f"appear at another scale (--resize predicts at the training scale)")
        prediction = predict_image(model, image, preprocessing, longer_side)
        save_mask(prediction, out / f"{name}_mask.png")
        save_overlay(image, prediction, out / f"{name}_overlay.png", class_names)
        counts = np.bincount(prediction.ravel(), minlength=model.num_classes)
        found = ", ".join(f"{class_names[c]} {counts[c] / prediction.size:.0%}" for c in np.argsort(-counts)
                          if counts[c])
        print_fn(f"{f}: {found}")
    return failures


def predict_checkpoint(checkpoint, images, out, resize=None, device="cpu", overwrite=False, print_fn=print,
                       memory_budget=None):
    """What ``fcn-scratch predict`` does: load a checkpoint, find the images (files, or the images in
    folders), and write each one's mask and overlay into ``out`` (:func:`predict_files`). ``resize``: None
    predicts each image at its own size; a number scales its longer side to that many pixels; 0 to the
    checkpoint's training size. Outputs of an earlier run are replaced only with ``overwrite``. An image
    whose prediction would pass ``memory_budget`` bytes (default: half the machine's memory) is skipped
    and reported.
    Returns ``(files, [(file, reason), ...] of those that could not be read)``."""
    trained_at = read_header(checkpoint)["meta"].get("image_size") or None    # 0: whole images, no one size
    if resize == 0 and trained_at is None:
        raise InputError(f"{checkpoint} does not record a training image size; give --resize a size "
                         "(the longer side in pixels, e.g. --resize 500)")
    longer_side = None if resize is None else resize or trained_at
    files = image_files(images)
    names = output_names(files)
    out = Path(out)
    written = [out / f"{name}_{kind}.png" for name in names for kind in ("mask", "overlay")]
    existing = [path for path in written if path.exists()]
    if existing and not overwrite:
        more = f" (and {len(existing) - 1} more of this run's outputs)" if len(existing) > 1 else ""
        raise InputError(f"{existing[0]} already exists{more}; replace them with --overwrite")
    check_writable(written[0])
    model, ckpt = load_model(checkpoint, device)
    failures = predict_files(model, files, names, out, Preprocessing.from_meta(ckpt.meta), longer_side,
                             trained_at, print_fn=print_fn,
                             memory_budget=default_memory_budget() if memory_budget is None else memory_budget)
    print_fn(f"wrote {2 * (len(files) - len(failures))} files to {out}/")
    return files, failures
