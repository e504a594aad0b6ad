"""Lesson 12: the paper's FCN-8s, VGG16 and all: its maps, its crops, its weights, its cost, a photo.

Lessons 6 to 11 built FCN on a small net that trains on a laptop. The paper's
net is the same design at full size: ``build("fcn8s-vgg16")``, with the names
and shapes of pytorch-fcn's FCN8s, so that the trained weights load into it.

The encoder is VGG16 (Simonyan & Zisserman, 2014): thirteen 3x3 convolutions
in five blocks (64, 128, 256, 512, 512 channels; 2, 2, 3, 3, 3 convolutions),
each block closed by a 2x2 max pool. The ImageNet classifier ends in three
fully connected layers that read pool5, a 7 x 7 x 512 map, flattened:

    classifier.0  25,088 -> 4096    becomes fc6, a 7x7 convolution (4096, 512, 7, 7), no padding
    classifier.3   4,096 -> 4096    becomes fc7, a 1x1 convolution (4096, 4096, 1, 1)
    classifier.6   4,096 -> 1000    ImageNet's classes: dropped; score_fr, a 1x1 to 21 classes, starts at zero

A fully connected layer on a 7x7 map is a 7x7 convolution that fits once
(lesson 6); on a larger map the same convolution slides, 32 input pixels per
step, and answers with a map. fc6 alone holds 102.8 million of the net's
134.5 million parameters.

Why conv1_1 is padded by 100. fc6 is an unpadded 7x7: it needs a pool5 map
of at least 7 x 7. With same-padded convolutions and ceil-mode pools pool5 is
ceil(H/32) pixels, so an image of 192 pixels or fewer would leave fc6 no
window at all, and no output. Caffe's reference pads conv1_1 by 100 instead of
1: conv1_1's map is H + 198 pixels, and ceil((H + 198)/32) >= 7 for any H >= 1
(97 would do; 100 is the round number). The price is a border of padding
that every map carries.

Why that makes the skips' maps the larger ones. Pixel j of a map sits at
input coordinate scale*j + offset (a coordinate map, lesson 7;
``fcn_scratch.models.coord_map``). The padding moves every map 99 pixels out
past the image's edge: pool3 starts at -95.5, pool4 at -91.5. The unpadded
7x7 fc6 then eats three pool5 pixels on each side (3 x 32 = 96 input pixels),
so score_fr starts at +12.5, inside the image. Upsampled by 2, its map starts
at -11.5; score_pool4's starts at -91.5, 80 pixels (5 of its 16-pixel steps)
earlier. So here the skip is cropped, at 5; at the next skip, at 9; and the
x8 output, which starts at -31, is cropped at 31 to the image. Section 1
prints every step of that subtraction.

Weights. The paper's trained FCN-8s was released for Caffe
(fcn.berkeleyvision.org, voc-fcn8s: fcn8s-heavy-pascal.caffemodel);
pytorch-fcn converted it (``torchfcn.models.FCN8s.download()`` saves
``fcn8s_from_caffe.pth``). It learned on Caffe's input: BGR pixels in 0-255
minus the VGG mean (``CAFFE_VGG``). This lesson never downloads anything;
give it a file with ``--weights`` and a photo with ``--image``.

Run: python lessons/12_paper_fcn8s.py [--quick] [--out DIR] [--device cpu|cuda] [--weights FILE] [--image PHOTO]
(--quick: the forward pass timed at 224 x 224 instead of 500 x 500; under a minute on 2 cores; the tests use it.)
"""
import math
import tempfile
from pathlib import Path

import numpy as np
from matplotlib.patches import Rectangle

from _common import figure, parse_args, save, section, timed
from fcn_scratch import backend, no_grad
from fcn_scratch.checkpoint import load_model
from fcn_scratch.data import CAFFE_VGG, VOC_CLASSES, Preprocessing, load_image, make_sample
from fcn_scratch.functional import no_init
from fcn_scratch.layers import Conv2d, ConvTranspose2d, MaxPool2d, SoftmaxCrossEntropy
from fcn_scratch.models import CoordMap, build, crop_offset, output_shapes, recording_output_shapes
from fcn_scratch.train import predict_image
from fcn_scratch.viz import save_overlay
from fcn_scratch.weights import import_weights, key_map, open_weights

# A stand-in with VGG16's geometry (2, 2, 3, 3, 3 convolutions, conv1_1 padded by 100, a 7x7 fc6) and few channels.
STAND_IN = dict(widths=(8, 8, 16, 16, 16), fc_channels=32)
# The decoder of FCN-8s: each layer's input (besides the encoder's chain).
DECODER_INPUTS = {"upscore2": "score_fr", "score_pool4": "pool4", "upscore_pool4": "fuse_pool4",
                  "score_pool3": "pool3", "upscore8": "fuse_pool3"}


def layer_shapes(model, height, width):
    """``{layer name: (C, H, W)}`` of an FCN-8s on an image (3, height, width), from each layer's size
    arithmetic alone (``output_size``), without running it. Layers that keep their input's shape
    (ReLU, dropout, the skips' scales) are left out."""
    shapes = {"image": (model.in_channels, height, width)}
    c, h, w = shapes["image"]
    for name in model.features:
        layer = getattr(model, name)
        if isinstance(layer, (Conv2d, MaxPool2d)):
            h, w = layer.output_size(h, w)
            shapes[name] = c, h, w = getattr(layer, "out_channels", c), h, w
    k = model.num_classes
    for up, skip, fuse in (("upscore2", "score_pool4", "fuse_pool4"), ("upscore_pool4", "score_pool3", "fuse_pool3")):
        shapes[up] = (k,) + getattr(model, up).output_size(*shapes[DECODER_INPUTS[up]][1:])
        shapes[skip] = (k,) + shapes[DECODER_INPUTS[skip]][1:]
        shapes[fuse] = (k,) + tuple(min(a, b) for a, b in zip(shapes[up][1:], shapes[skip][1:]))
    shapes["upscore8"] = (k,) + model.upscore8.output_size(*shapes["fuse_pool3"][1:])
    shapes["crop_upscore8"] = (k, height, width)
    return shapes


def layer_input(model, name, shapes):
    """The shape that feeds layer ``name`` (the previous shape-changing feature, or the decoder's wiring)."""
    if name in DECODER_INPUTS:
        return shapes[DECODER_INPUTS[name]]
    names = list(shapes)
    return shapes[names[names.index(name) - 1]]


def flops(layer, shape_in, shape_out):
    """Floating-point operations of one forward pass, 2 per multiply-add, for one image; convolutions and
    transposed convolutions only (pools, ReLUs, the sums of the skips are a rounding error beside them)."""
    if isinstance(layer, Conv2d):
        return 2 * layer.in_channels * math.prod(layer.kernel_size) * math.prod(shape_out)
    if isinstance(layer, ConvTranspose2d):
        return 2 * layer.out_channels * math.prod(layer.kernel_size) * math.prod(shape_in)
    return 0


def run_to(model, x, last):
    """The encoder's features from the image up to and including ``last``."""
    for name in model.features:
        x = getattr(model, name)(x)
        if name == last:
            return x
    raise KeyError(last)


def torchvision_vgg16_state(widths, fc_channels, rng):
    """A VGG16 ImageNet classifier's state dict with torchvision's key names and layout, random (He-normal)
    values, ``widths`` channels per block and ``fc_channels`` in fc6 and fc7 (4096 in the real file).
    torchvision's ``features`` is one Sequential: a convolution and its ReLU per layer, a pool after each
    block, so the convolutions sit at 0, 2, 5, 7, 10, 12, 14, 17, 19, 21, 24, 26, 28."""
    state, index, channels = {}, 0, 3
    for width, convs in zip(widths, (2, 2, 3, 3, 3)):
        for _ in range(convs):
            he = math.sqrt(2 / (9 * channels))
            state[f"features.{index}.weight"] = rng.standard_normal((width, channels, 3, 3)) * he
            state[f"features.{index}.bias"] = rng.standard_normal(width) * 0.1
            index, channels = index + 2, width            # the convolution and its ReLU
        index += 1                                        # the pool
    for key, fan_in, fan_out in (("classifier.0", channels * 7 * 7, fc_channels),
                                 ("classifier.3", fc_channels, fc_channels), ("classifier.6", fc_channels, 1000)):
        state[f"{key}.weight"] = rng.standard_normal((fan_out, fan_in)) * math.sqrt(2 / fan_in)
        state[f"{key}.bias"] = rng.standard_normal(fan_out) * 0.1
    return {key: value.astype(np.float32) for key, value in state.items()}


def linear(state, key, v):
    """torchvision's Linear layer ``key`` on vectors v (..., in): v @ W.T + b."""
    return v @ state[f"{key}.weight"].T + state[f"{key}.bias"]


def main():
    args = parse_args(__doc__, "12_paper_fcn8s", extra=lambda p: (
        p.add_argument("--weights", help="the paper's FCN-8s: fcn8s_from_caffe.pth, a .safetensors/.npz of it, "
                                         "or a checkpoint from `python -m fcn_scratch import-weights`"),
        p.add_argument("--image", help="a photo to segment (with --weights; without, random weights run on it)")))
    if args.weights and not args.image:
        raise SystemExit("--weights needs --image PHOTO: the photo to segment")
    xp = backend.xp_for(args.device)
    rng = np.random.default_rng(0)

    section("1. The paper's FCN-8s: every map at 500 x 500")
    model = build("fcn8s-vgg16", rng=np.random.default_rng(0)).to(args.device).eval()
    print(f"build('fcn8s-vgg16'): {model.num_parameters():,} parameters, {model.num_classes} classes (VOC's 20 and "
          f"background); conv1_1 padded by {model.conv1_1.padding[0]}, fc6 a {model.fc6.kernel_size[0]}x"
          f"{model.fc6.kernel_size[1]} padded by {model.fc6.padding[0]}")
    shapes = layer_shapes(model, 500, 500)
    print(f"\n{'layer':<15}{'type':<17}{'output shape':>20}   (ReLUs and dropouts keep their input's shape)")
    for name, shape in shapes.items():
        kind = type(model.layers[name]).__name__ if name in model.layers else "input"
        print(f"{name:<15}{kind:<17}{str(shape):>20}")
    stand_in = build("fcn8s-vgg16", rng=np.random.default_rng(1), **STAND_IN).to(args.device)
    stand_in_shapes = output_shapes(stand_in, (3, 500, 500))
    agree = all(stand_in_shapes[n][2:] == s[1:] for n, s in shapes.items() if n in stand_in.layers)
    print(f"(the sizes come from each layer's output_size; a forward pass of a narrow stand-in at 500 x 500,\n"
          f" widths {STAND_IN['widths']}, gives every layer's output the same height and width: {agree})")

    print("\nThe padding of 100: fc6, an unpadded 7x7, needs pool5 to be at least 7 x 7.")
    for padding in (1, 100):
        with no_init():
            net = build("fcn8s-vgg16", conv1_padding=padding, **STAND_IN)
        smallest = next(h for h in range(1, 400) if reaches_fc6(net, h))
        pool5 = layer_shapes(net, smallest, smallest)["pool5"][1]
        print(f"  conv1_1 padded by {padding:>3}: the smallest image with an fc6 output is "
              f"{smallest:>3} x {smallest:<3} (pool5 {pool5} x {pool5})")
    least = next(p for p in range(1, 200) if reaches_fc6(build_shapes_only(p), 1))
    print(f"  the least padding that gives even a 1-pixel image an fc6 output: {least}; the reference took 100")

    print("\nCoordinate maps: pixel j of a map is centred on input coordinate scale * j + offset.")
    print("A k x k convolution or pool with stride s and padding p: offset += scale * ((k-1)/2 - p), scale *= s")
    print("(a 3x3 padded by 1 moves nothing). A transposed one (kernel k, stride s): scale /= s, "
          "offset += scale_in * (p - (k-1)/2) / s.")
    print(f"\n{'map':<15}{'scale':>6}{'offset':>9}   how")
    maps, previous = model.maps, CoordMap()
    for name in model.features:
        layer, now = getattr(model, name), model.maps[name]
        if not isinstance(layer, (Conv2d, MaxPool2d)):
            continue
        k, s, p = layer.kernel_size[0], layer.stride[0], layer.padding[0]
        how = ("" if now == previous else
               f"{previous.offset:g} + {previous.scale:g} * (({k}-1)/2 - {p})" + (f", scale x{s}" if s > 1 else ""))
        print(f"{name:<15}{now.scale:>6g}{now.offset:>9g}   {how}")
        previous = now
    steps = []
    for up, skip, source in (("upscore2", "score_pool4", "score_fr"), ("upscore_pool4", "score_pool3", "fuse_pool4")):
        before = maps[source] if source in maps else steps[-1]
        upsampled = before.through(model.layers[up])
        k, s = model.layers[up].kernel_size[0], model.layers[up].stride[0]
        skip_map = maps[DECODER_INPUTS[skip]].through(model.layers[skip])
        crop = crop_offset(upsampled, skip_map)
        print(f"{up:<15}{upsampled.scale:>6g}{upsampled.offset:>9g}   {before.offset:g} + {before.scale:g} * "
              f"(0 - ({k}-1)/2) / {s}, scale /{s}")
        print(f"{skip:<15}{skip_map.scale:>6g}{skip_map.offset:>9g}   {DECODER_INPUTS[skip]}'s (a 1x1 moves nothing)")
        print(f"  -> ({skip_map.offset:g} - ({upsampled.offset:g})) / {skip_map.scale:g} = {crop}: {skip} starts "
              f"{-crop} pixels before {up}; {skip} is cropped at {-crop}")
        steps.append(upsampled)
    final = steps[-1].through(model.upscore8)
    out_crop = crop_offset(final, CoordMap())
    print(f"{'upscore8':<15}{final.scale:>6g}{final.offset:>9g}   {steps[-1].offset:g} + {steps[-1].scale:g} * "
          f"(0 - (16-1)/2) / 8, scale /8")
    print(f"  -> (0 - ({final.offset:g})) / 1 = {out_crop}: the image starts {out_crop} pixels into upscore8; "
          f"upscore8 is cropped at {out_crop}")
    print(f"\ncrops: score_pool4 at {-model.fuse_pool4.offset}, score_pool3 at {-model.fuse_pool3.offset}, "
          f"upscore8 at {model.crop_upscore8.offset[0]} (the model's Fuse and Crop layers hold the same: "
          f"fuse_pool4.offset {model.fuse_pool4.offset}, fuse_pool3.offset {model.fuse_pool3.offset}, "
          f"crop_upscore8.offset {model.crop_upscore8.offset})")
    span = {name: (m.offset, m.offset + m.scale * (shapes[name][1] - 1)) for name, m in
            (("pool4", maps["pool4"]), ("upscore2", steps[0]), ("pool3", maps["pool3"]), ("upscore_pool4", steps[1]),
             ("score_fr", maps["score_fr"]), ("upscore8", final))}
    print("At 500 x 500 the skips' maps reach further out into the padding than the upsampled scores:")
    for name, (a, b) in span.items():
        print(f"  {name:<14} pixel centres from {a:>6g} to {b:>6g}")
    crops_figure(args, span, maps, steps, final, shapes)

    section("2. A VGG16 classifier becomes the FCN encoder")
    print(f"On a stand-in of VGG16 with few channels (widths {STAND_IN['widths']}, fc6 and fc7 "
          f"{STAND_IN['fc_channels']} wide): the real fc6 is a 4096 x 25,088 matrix, slow for a lesson.")
    state = torchvision_vgg16_state(STAND_IN["widths"], STAND_IN["fc_channels"], rng)
    with no_init():
        real_shapes = {n: tuple(v.shape) for n, v, _ in model.named_parameters(True)}
    real = {s.key: s.file_shape for s in key_map("torchvision-vgg16", real_shapes).sources.values()}
    real.update({"classifier.6.weight": (1000, 4096), "classifier.6.bias": (1000,)})
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "vgg16_torchvision.npz"
        np.savez(src, **state)
        done = import_weights(src, "fcn8s-vgg16", Path(tmp) / "fcn8s_from_vgg16.npz", **STAND_IN)
        fcn, _ = load_model(done.path, args.device)
    mapping = key_map(done.family, {n: tuple(v.shape) for n, v, _ in fcn.named_parameters(True)})
    by_key = {s.key: (name, s.shape) for name, s in mapping.sources.items()}
    print(f"\nimport_weights recognized the keys as {done.family!r} and mapped them:")
    print(f"{'file key':<22}{'stand-in shape':>16}{'real VGG16 shape':>18}   ->  our parameter")
    for key in ("features.0.weight", "features.2.weight", "features.5.weight", "features.28.weight",
                "classifier.0.weight", "classifier.0.bias", "classifier.3.weight", "classifier.6.weight"):
        name, shape = by_key.get(key, ("(ignored: ImageNet's 1000 classes)", None))
        target = f"{name} {shape}" if shape else name
        print(f"{key:<22}{str(state[key].shape):>16}{str(real[key]):>18}   ->  {target}")
    print(f"{done.num_loaded:,} of {done.num_parameters:,} parameters came from the file; as a fresh model starts "
          f"them: {', '.join(done.kept)}")

    # the classifier's own view: the same weights with conv1_1 padded by 1, as torchvision's VGG16 is
    with no_init():
        classifier = build("fcn8s-vgg16", conv1_padding=1, **STAND_IN)
    classifier.load_state_dict(fcn.state_dict())
    classifier.to(args.device).eval()
    image = make_sample(3, image_size=224)[0]
    pool5 = run_to(classifier, xp.asarray(image[None]), "pool5")
    flat = backend.to_host(pool5).reshape(1, -1)
    by_linear = linear(state, "classifier.0", flat)[0]
    fc6_map = backend.to_host(classifier.fc6(pool5))
    by_conv = fc6_map[0, :, 0, 0]
    gap7 = float(np.abs(by_linear - by_conv).max())
    print(f"\nA 224 x 224 image -> pool5 {tuple(pool5.shape[1:])} -> flattened {flat.shape[1]} -> classifier.0 "
          f"-> {by_linear.shape[0]} values")
    print(f"the same pool5 -> fc6, a 7x7 convolution -> {fc6_map.shape[1:]}")
    print(f"fc6 as a 7x7 convolution against classifier.0 as a Linear layer: largest difference {gap7:.1e} "
          f"(largest value {np.abs(by_linear).max():.1f})")
    relu = lambda v: np.maximum(v, 0)                                          # noqa: E731
    imagenet_linear = linear(state, "classifier.6", relu(linear(state, "classifier.3", relu(by_linear))))
    head = Conv2d(STAND_IN["fc_channels"], 1000, 1)                             # classifier.6, as a 1x1 convolution
    head.params["weight"] = xp.asarray(state["classifier.6.weight"].reshape(1000, -1, 1, 1))
    head.params["bias"] = xp.asarray(state["classifier.6.bias"])
    fc7 = classifier.relu7(classifier.fc7(classifier.relu6(classifier.fc6(pool5))))
    imagenet_conv = backend.to_host(head(fc7))[0, :, 0, 0]
    print(f"the whole classifier, 1000 ImageNet scores by Linear layers and by convolutions: largest difference "
          f"{np.abs(imagenet_linear - imagenet_conv).max():.1e}")

    wide = make_sample(4, image_size=416)[0][:, :320]
    pool5 = run_to(classifier, xp.asarray(wide[None]), "pool5")
    score_map = backend.to_host(classifier.fc6(pool5))[0]
    host_pool5 = backend.to_host(pool5)[0]
    rows, cols = score_map.shape[1:]
    windows = np.stack([host_pool5[:, i:i + 7, j:j + 7].reshape(-1) for i in range(rows) for j in range(cols)])
    window_map = linear(state, "classifier.0", windows).T.reshape(score_map.shape)
    gap = float(np.abs(window_map - score_map).max())
    print(f"\nA 320 x 416 image -> pool5 {tuple(pool5.shape[1:])}: the same 7x7 convolution slides and answers with "
          f"a {rows} x {cols} map of fc6 values, one per 224-pixel window, 32 pixels apart")
    print(f"classifier.0 on each of the {rows * cols} 7x7 windows, one at a time: largest difference from the map "
          f"{gap:.1e}")
    print(f"with fc7 and classifier.6 as 1x1 convolutions, a (1000, {rows}, {cols}) map of ImageNet scores")

    print("\nFCN drops classifier.6 for score_fr, a 1x1 convolution to 21 classes that starts at zero, and so do\n"
          "the skips' score_pool4 and score_pool3: a fresh net's logits are all zero, its first loss is ln 21.")
    fresh = make_sample(5, image_size=96)
    logits = fcn.eval()(xp.asarray(fresh[0][None]))
    labels = rng.integers(0, 21, (1, 96, 96))
    loss = SoftmaxCrossEntropy()(logits, xp.asarray(labels))
    print(f"the imported FCN-8s on a 96 x 96 image: logits {tuple(logits.shape)}, largest |logit| "
          f"{float(xp.abs(logits).max()):g}, first loss {float(loss):.5f}, ln 21 = {math.log(21):.5f}")
    vgg_figure(args, state, score_map, window_map, gap)

    section("3. What the full net costs at 500 x 500 (computed from the shapes)")
    print(f"{'layer':<15}{'output shape':>20}{'parameters':>14}{'GFLOP':>9}{'map MB':>9}")
    totals = dict(params=0, flops=0, memory=0)
    rows_cost = []
    for name, shape in list(shapes.items())[1:]:
        layer = model.layers[name]
        count = sum(int(v.size) for v in layer.params.values())
        f = flops(layer, layer_input(model, name, shapes), shape)
        memory = math.prod(shape) * 4 / 1e6
        totals["params"] += count
        totals["flops"] += f
        totals["memory"] += memory
        rows_cost.append((name, count, f, memory))
        print(f"{name:<15}{str(shape):>20}{count:>14,}{f / 1e9:>9.2f}{memory:>9.1f}")
    print(f"{'total':<15}{'':>20}{totals['params']:>14,}{totals['flops'] / 1e9:>9.1f}{totals['memory']:>9.0f}")
    share = lambda names: sum(r[2] for r in rows_cost if r[0].startswith(names)) / totals["flops"]    # noqa: E731
    fc6_params = sum(int(v.size) for v in model.fc6.params.values())
    print(f"\nfc6 holds {fc6_params / totals['params']:.0%} of the parameters and does {share('fc6'):.0%} of the "
          f"arithmetic;\nthe thirteen 3x3 convolutions do {share('conv'):.0%} of it (blocks 1-3, on the largest maps, "
          f"{share(('conv1', 'conv2', 'conv3')):.0%}), the whole decoder {share(('score', 'upscore')):.1%}")
    print(f"parameters: {totals['params'] * 4 / 1e6:.0f} MB in float32; all maps of one pass: "
          f"{totals['memory']:.0f} MB\n"
          f"(a training step keeps them all, and each convolution's im2col columns: conv1_2's alone are "
          f"{64 * 9 * math.prod(shapes['conv1_2'][1:]) * 4 / 1e9:.1f} GB)")
    size = 224 if args.quick else 500
    x = xp.asarray(np.random.default_rng(2).random((1, 3, size, size), np.float32) * 255 - 117)
    with no_grad(), recording_output_shapes(model) as ran:
        seconds, out = timed(lambda: model(x), 2)
    timed_shapes = layer_shapes(model, size, size)
    work = sum(flops(model.layers[n], layer_input(model, n, timed_shapes), s)
               for n, s in list(timed_shapes.items())[1:])
    note = " (--quick: a 224 x 224 image; the full run times 500 x 500)" if args.quick else ""
    print(f"\none forward pass of the full-size net on {size} x {size}{note}, inside no_grad(), on {args.device}: "
          f"{seconds:.2f} s (best of 2), {work / 1e9:.0f} GFLOP, {work / seconds / 1e9:.0f} GFLOP/s")
    if not args.quick:
        agree = all(ran[n][1:] == s for n, s in shapes.items() if n in model.layers)
        print(f"every layer's output shape in this pass, recorded by forward hooks, equals section 1's table: {agree}")
    cost_figure(args, rows_cost)

    section("4. A photo through the paper's net")
    if args.weights:
        segment(args, xp)
    else:
        print("No --weights given. The paper's trained FCN-8s (PASCAL VOC, 21 classes):\n"
              "  Caffe: fcn.berkeleyvision.org, voc-fcn8s (fcn8s-heavy-pascal.caffemodel)\n"
              "  PyTorch: pytorch-fcn (github.com/wkentaro/pytorch-fcn) converted it: "
              "torchfcn.models.FCN8s.download()\n"
              "           saves fcn8s_from_caffe.pth (its README's table gives the original FCN8s 65.51 mean IU)\n"
              "then:\n"
              "  python -m fcn_scratch import-weights fcn8s_from_caffe.pth --model fcn8s-vgg16 --out fcn8s.npz\n"
              "  python lessons/12_paper_fcn8s.py --weights fcn8s.npz --image photo.jpg\n"
              "(a .pth is read only where PyTorch is installed, through torch.load(weights_only=True); --weights "
              "also takes the .pth directly)")
        random_pipeline(args, model, xp)


def reaches_fc6(net, size):
    """Whether a size x size image leaves fc6 a window (each layer's output_size refuses a kernel larger than
    its padded input)."""
    try:
        return layer_shapes(net, size, size)["fc6"][1] >= 1
    except ValueError:
        return False


def build_shapes_only(padding):
    """The stand-in's layers with conv1_1 padded by ``padding``, built without drawing weights (for shapes)."""
    with no_init():
        return build("fcn8s-vgg16", conv1_padding=padding, **STAND_IN)


def segment(args, xp):
    """Section 4 with weights: load them (importing a file that is not our checkpoint), segment the photo
    at its own size, save the overlay with a legend of VOC names."""
    with open_weights(args.weights) as weights:
        ours = bool(weights.about)
    with tempfile.TemporaryDirectory() as tmp:
        path = args.weights
        if not ours:
            done = import_weights(args.weights, "fcn8s-vgg16", Path(tmp) / "fcn8s.npz")
            print(f"{args.weights}: {done.family} keys, {done.num_loaded:,} of {done.num_parameters:,} parameters "
                  f"loaded" + (f" (as a fresh model starts them: {', '.join(done.kept)})" if done.kept else ""))
            path = done.path
        model, ckpt = load_model(path, args.device)
    preprocessing = Preprocessing.from_meta(ckpt.meta) if "preprocessing" in ckpt.meta else CAFFE_VGG
    named = model.config.get("class_names") or model.num_classes != len(VOC_CLASSES)
    names = model.class_names if named else list(VOC_CLASSES)
    image = load_image(args.image)
    print(f"{args.image}: {image.shape[2]} x {image.shape[1]} pixels; preprocessing {preprocessing}")
    seconds, labels = timed(lambda: predict_image(model, image, preprocessing), 1)
    counts = np.bincount(labels.ravel(), minlength=model.num_classes)
    found = ", ".join(f"{names[c]} {counts[c] / labels.size:.1%}" for c in np.argsort(-counts) if counts[c])
    print(f"segmented in {seconds:.1f} s: {found}")
    print(f"  saved {save_overlay(image, labels, args.out / 'overlay.png', names)}")


def random_pipeline(args, model, xp):
    """Section 4 without weights: the same pipeline on random weights, at a small size."""
    side = 160
    if args.image:
        image = load_image(args.image)
        what = f"{args.image}, scaled so its longer side is {side} pixels"
    else:
        image = make_sample(6, image_size=side)[0]
        what = f"a {side} x {side} toy image standing in for a photo (give one with --image)"
    rng = np.random.default_rng(3)
    weight = model.score_fr.params["weight"]
    model.score_fr.params["weight"] = xp.asarray(rng.standard_normal(weight.shape).astype(np.float32) * 0.01)
    print(f"\nThe pipeline on random weights: He-normal convolutions and a random score_fr (left at zero, every\n"
          f"pixel would be class 0); the skips stay at zero. {what}; CAFFE_VGG preprocessing ({CAFFE_VGG}).")
    seconds, labels = timed(lambda: predict_image(model, image, CAFFE_VGG, longer_side=side), 1)
    counts = np.bincount(labels.ravel(), minlength=model.num_classes)
    found = ", ".join(f"{VOC_CLASSES[c]} {counts[c] / labels.size:.0%}" for c in np.argsort(-counts)[:4] if counts[c])
    print(f"predicted in {seconds:.1f} s; the largest classes: {found}")
    print("These classes are meaningless: the weights are random. The pipeline runs (preprocessing, the padded\n"
          "encoder, the skips and their crops, the x8 upsampling, the crop to the image, the overlay); blobs a\n"
          "few dozen pixels across are score_fr's stride-32 cells, smoothed by the bilinear upsampling.")
    print(f"  saved {save_overlay(image, labels, args.out / 'overlay_random.png', list(VOC_CLASSES))}")


def crops_figure(args, span, maps, steps, final, shapes):
    """Every map of the alignment drawn along one axis of a 500-pixel image, in input coordinates."""
    fig, ax = figure(1, 1, (11, 4.4))
    ax = ax[0, 0]
    ax.axvspan(-100, 0, color="0.9")
    ax.axvspan(500, 600, color="0.9")
    ax.axvspan(0, 500, color="#e8f2e0")
    rows = [("upscore8 (x8)", final, shapes["upscore8"][1], "tab:purple"),
            ("score_pool3 (stride 8)", maps["pool3"], shapes["pool3"][1], "tab:orange"),
            ("upscore_pool4 (x2)", steps[1], shapes["upscore_pool4"][1], "tab:blue"),
            ("score_pool4 (stride 16)", maps["pool4"], shapes["pool4"][1], "tab:orange"),
            ("upscore2 (x2)", steps[0], shapes["upscore2"][1], "tab:blue"),
            ("score_fr (stride 32)", maps["score_fr"], shapes["score_fr"][1], "tab:red")]
    for y, (label, cmap, n, colour) in enumerate(rows):
        centres = cmap.offset + cmap.scale * np.arange(n)
        ax.plot([centres[0], centres[-1]], [y, y], color=colour, lw=1)
        if cmap.scale > 1:
            ax.plot(centres, np.full(n, y), "|", color=colour, ms=8)
        ax.text(-118, y, label, ha="right", va="center", fontsize=9)
    # each crop between the two maps it aligns: the skip starts earlier than the upsampled scores
    for y, big, small, crop in ((3.5, maps["pool4"].offset, steps[0].offset, "score_pool4 cropped at 5"),
                                (1.5, maps["pool3"].offset, steps[1].offset, "score_pool3 cropped at 9"),
                                (-0.45, final.offset, 0, "upscore8 cropped at 31")):
        ax.annotate("", xy=(big, y), xytext=(small, y), arrowprops=dict(arrowstyle="<->", color="k"))
        ax.text(small + 6, y, f"{crop} ({small - big:g} px)", ha="left", va="center", fontsize=9)
    ax.text(-50, 5.65, "conv1_1's padding", ha="center", fontsize=8, color="0.4")
    ax.text(550, 5.65, "padding", ha="center", fontsize=8, color="0.4")
    ax.text(250, 5.65, "the 500-pixel image", ha="center", fontsize=8, color="0.3")
    ax.set_xlim(-120, 620)
    ax.set_ylim(-0.8, 6.0)
    ax.set_yticks([])
    ax.set_xlabel("input coordinate of each map's pixel centres (one tick per pixel where stride >= 8)")
    ax.set_title("FCN-8s at 500 x 500, every map in input coordinates: the padding puts the skips' maps further "
                 "out than the upsampled scores,\nso the skips are cropped (at 5 and 9), and the output at 31")
    save(fig, args, "crops")


def vgg_figure(args, state, score_map, window_map, gap):
    """classifier.0's matrix, one of its rows as fc6's 7x7 kernel, and fc6's map both ways."""
    fig, ax = figure(1, 4, (3.3, 3.1))
    weight = state["classifier.0.weight"]
    ax[0, 0].imshow(weight, cmap="RdBu_r", aspect="auto", interpolation="nearest")
    ax[0, 0].add_patch(Rectangle((-0.5, -0.5), weight.shape[1], 1, fill=False, color="k", lw=1.5))
    ax[0, 0].set_title(f"classifier.0.weight {weight.shape}\n(real: (4096, 25088)); row 0 boxed", fontsize=9)
    ax[0, 0].set_xlabel("input: pool5 flattened (C x 7 x 7)")
    ax[0, 0].set_ylabel("output")
    kernel = weight[0].reshape(-1, 7, 7)
    side = math.ceil(math.sqrt(len(kernel)))
    mosaic = np.full((side * 8 - 1, side * 8 - 1), np.nan)
    for c, tile in enumerate(kernel):
        mosaic[(c // side) * 8:(c // side) * 8 + 7, (c % side) * 8:(c % side) * 8 + 7] = tile
    ax[0, 1].imshow(mosaic, cmap="RdBu_r", interpolation="nearest")
    ax[0, 1].set_title(f"row 0 reshaped: fc6's kernel 0,\n{len(kernel)} channels of 7 x 7", fontsize=9)
    low, high = float(min(score_map[0].min(), window_map[0].min())), float(max(score_map[0].max(), window_map[0].max()))
    ax[0, 2].imshow(score_map[0], cmap="viridis", vmin=low, vmax=high, interpolation="nearest")
    ax[0, 2].set_title(f"fc6 output 0 on a 320 x 416 image:\none 7x7 convolution, {score_map.shape[1]} x "
                       f"{score_map.shape[2]}", fontsize=9)
    ax[0, 3].imshow(window_map[0], cmap="viridis", vmin=low, vmax=high, interpolation="nearest")
    ax[0, 3].set_title(f"classifier.0 on each 7x7 window\nof pool5: largest difference {gap:.0e}", fontsize=9)
    for a in ax[0, 1:]:
        a.axis("off")
    save(fig, args, "vgg_to_fcn")


def cost_figure(args, rows):
    """Parameters, arithmetic and map memory per layer of the full net at 500 x 500."""
    names = [r[0] for r in rows]
    fig, ax = figure(1, 3, (3.6, 6.2))
    for a, values, title in ((ax[0, 0], [r[1] / 1e6 for r in rows], "parameters (millions)"),
                             (ax[0, 1], [r[2] / 1e9 for r in rows], "GFLOP (one 500 x 500 forward pass)"),
                             (ax[0, 2], [r[3] for r in rows], "output map (MB, float32)")):
        colours = ["tab:red" if n in ("fc6", "fc7") else "tab:blue" if n.startswith(("conv", "pool")) else
                   "tab:orange" for n in names]
        a.barh(range(len(rows)), values, color=colours)
        a.set_yticks(range(len(rows)), names if a is ax[0, 0] else [""] * len(rows), fontsize=7)
        a.invert_yaxis()
        a.set_title(title, fontsize=9)
        a.set_xlabel(f"total {sum(values):,.0f}", fontsize=8)
    fig.suptitle("the paper's FCN-8s: encoder blue, fc6/fc7 red, score and upsampling layers orange")
    save(fig, args, "cost")


if __name__ == "__main__":
    main()
