"""The training recipes' defaults, said once: the command line's help and the recipe read them here.

Two recipes, by the family of the model:

- ``TOY``, the small nets' (fcn32s, fcn16s, fcn8s): Adam with a poly schedule, batches of 8 random
  crops (or the toy shapes whole) flipped at random, the loss a mean over the labelled pixels; a few
  minutes on a laptop CPU for the toy shapes (EXPERIMENTS.md has the runs behind its rates).
- ``PAPER``, the VGG16 nets': pytorch-fcn's ``train_fcn32s.py`` ... ``train_fcn8s_atonce.py``, which
  follow fcn.berkeleyvision.org: SGD with momentum 0.99 and weight decay 5e-4 on the weights, the biases
  at twice the rate without decay, every transposed convolution frozen at bilinear, one whole image a
  step (no crop, pad, resize or flip), the loss summed over its labelled pixels, a fixed rate (tiny,
  because the sum is over some 10^5 pixels), 100,000 iterations with a validation every 4,000.

A value of None in a recipe means "not this way": ``epochs`` None counts the run in ``iterations``,
``validate_every`` None validates once an epoch, ``image_size`` 0 trains on whole images.
"""

# The toy data's own defaults (the small nets' training data when no folder is given).
TOY_DATA = dict(model="fcn8s", image_size=64, train_size=2000, val_size=200)

TOY = dict(epochs=14, iterations=None, validate_every=None, batch_size=8, image_size=64, optimizer="adam",
           momentum=0.9, weight_decay=0.0, schedule="poly", loss_reduction="mean", bias_lr_factor=1.0,
           bias_weight_decay=True, freeze_upsampling=False, flip=True)

PAPER = dict(epochs=None, iterations=100_000, validate_every=4_000, batch_size=1, image_size=0, optimizer="sgd",
             momentum=0.99, weight_decay=5e-4, schedule="constant", loss_reduction="sum", bias_lr_factor=2.0,
             bias_weight_decay=False, freeze_upsampling=True, flip=False)

# The base learning rate by model. The small nets: FCN-32s at FCN-8s's rate collapses to predicting
# background everywhere, so it and FCN-16s take a lower one. The VGG16 nets: pytorch-fcn's, for the
# staged training (FCN-32s from VGG16, FCN-16s from that FCN-32s, FCN-8s from that FCN-16s) and at once.
LR = {"fcn8s": 4e-3, "fcn16s": 2e-3, "fcn32s": 2e-3,
      "fcn32s-vgg16": 1e-10, "fcn16s-vgg16": 1e-12, "fcn8s-vgg16": 1e-14, "fcn8s-atonce-vgg16": 1e-10}

# Whole images larger than this are refused before the first step: at 500 x 500 (VOC's largest) the
# paper's FCN-8s already takes gigabytes a step, and memory grows with the pixels.
WHOLE_IMAGE_MAX_PIXELS = 1_000_000


def recipe_for(model):
    """The recipe (a dict like :data:`PAPER`) that ``model`` (a name) trains with by default."""
    return PAPER if model.endswith("-vgg16") else TOY
