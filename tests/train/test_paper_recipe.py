"""The paper's recipe, held step for step to pytorch-fcn's trainer logic: its ``get_parameters`` groups
(the biases at twice the rate, without weight decay; the transposed convolutions in no group),
``cross_entropy2d`` summed over the labelled pixels (``size_average=False``) and ``torch.optim.SGD``,
on the same images in the same order. The weights after each iteration agree to float32 rounding
(skipped where PyTorch is not installed). And what the recipe says it does, and the images it refuses."""
import numpy as np
import pytest
from PIL import Image

from fcn_scratch.bench.torch_reference import torch_fcn
from fcn_scratch.checkpoint import read_checkpoint, save_checkpoint
from fcn_scratch.data import DataLoader, make_dataset, save_mask
from fcn_scratch.models import build
from fcn_scratch.train import PAPER, TrainOptions, run_training
from tests.helpers import write_sbd_folder

SIZES = [(37, 45), (50, 41), (44, 44), (41, 53)]          # (H, W): every image its own size
STEPS = 3
LR = 2e-6                                                   # with the loss a sum, large enough to move every weight
# Two geometries, both narrow: the paper's (conv1_1 padded by 100, a 7x7 fc6) and the course's small one.
NETS = {"fcn8s-vgg16": dict(widths=(4, 4, 8, 8, 8), fc_channels=16),
        "fcn8s": dict(widths=(4, 4, 8, 8, 8), fc_channels=16, convs_per_block=2, fc6_kernel=3)}


def write_voc(root, sizes=SIZES, classes=21, seed=0):
    """A VOC-format folder: images of the given sizes, masks with every class and a border of 255."""
    rng = np.random.default_rng(seed)
    for folder in ("JPEGImages", "SegmentationClass", "ImageSets/Segmentation"):
        (root / folder).mkdir(parents=True, exist_ok=True)
    ids = [f"img{i}" for i in range(len(sizes))]
    for name, (h, w) in zip(ids, sizes):
        Image.fromarray(rng.integers(0, 256, (h, w, 3), dtype=np.uint8)).save(root / "JPEGImages" / f"{name}.png")
        labels = rng.integers(0, classes, (h, w))
        labels[:2] = 255
        save_mask(labels, root / "SegmentationClass" / f"{name}.png")
    for split in ("train", "val"):
        (root / "ImageSets" / "Segmentation" / f"{split}.txt").write_text("\n".join(ids) + "\n")
    return root


def start_checkpoint(path, name, config):
    """A checkpoint of ``name`` with random weights everywhere, score layers too (a fresh net's are zero,
    and would leave the rest of the net without a gradient at the first step)."""
    model = build(name, num_classes=21, dropout=0.0, rng=np.random.default_rng(0), **config)
    rng = np.random.default_rng(1)
    state = {k: (v if v.any() else rng.standard_normal(v.shape).astype(v.dtype) * 0.1)
             for k, v in model.state_dict().items()}
    model.load_state_dict(state)
    save_checkpoint(path, model)
    return state


def pytorch_fcn_steps(state, name, config, batches, lr, momentum, weight_decay):
    """The weights after each step of pytorch-fcn's trainer (train_fcn8s.py and torchfcn/trainer.py)."""
    import torch
    from torch import nn
    from torch.nn import functional as F
    model = torch_fcn(name, 21, **config).eval()      # eval: no dropout, as ours trains with dropout 0
    model.load_state_dict({k: torch.from_numpy(v) for k, v in state.items()}, strict=True)
    convs = [m for m in model.modules() if isinstance(m, nn.Conv2d)]   # the ConvTranspose2d in no group
    optim = torch.optim.SGD([{"params": [m.weight for m in convs]},
                             {"params": [m.bias for m in convs], "lr": lr * 2, "weight_decay": 0}],
                            lr=lr, momentum=momentum, weight_decay=weight_decay)
    after = []
    for images, labels in batches:
        optim.zero_grad()
        score = model(torch.from_numpy(images))
        loss = F.cross_entropy(score, torch.from_numpy(labels), ignore_index=255, reduction="sum") / len(images)
        loss.backward()
        optim.step()
        after.append({k: v.detach().numpy().copy() for k, v in model.state_dict().items()})
    return after


def paper_data(tmp_path, layout):
    """``(training folder, validation folder, validation split)``: a VOC folder validated on its val, or
    the paper's layout, an SBD folder validated on a VOC folder's seg11valid (its val less SBD's train)."""
    voc = write_voc(tmp_path / "voc")
    if layout == "voc":
        return voc, voc, "val"
    ids = [f"img{i}" for i in range(len(SIZES))]
    write_sbd_folder(tmp_path / "sbd", dict(zip(ids, SIZES)), train=ids)
    (voc / "ImageSets" / "Segmentation" / "val.txt").write_text("img1\nnot_in_sbd\n")
    write_voc(tmp_path / "extra", sizes=[(30, 33)])
    for folder, suffix in (("JPEGImages", ".png"), ("SegmentationClass", ".png")):
        (tmp_path / "extra" / folder / f"img0{suffix}").rename(voc / folder / f"not_in_sbd{suffix}")
    return tmp_path / "sbd", voc, "seg11valid"


@pytest.mark.parametrize("device", ["cpu", pytest.param("cuda", marks=pytest.mark.gpu)])
@pytest.mark.parametrize("layout", ["voc", "sbd"])
@pytest.mark.parametrize("name", sorted(NETS))
def test_each_iteration_equals_pytorch_fcns_trainer(tmp_path, name, layout, device):
    pytest.importorskip("torch", reason="PyTorch is not installed: the comparison with pytorch-fcn's trainer is "
                                        "skipped (pip install torch to run it)")
    config = NETS[name]
    data, val_data, val_split = paper_data(tmp_path, layout)
    start = start_checkpoint(tmp_path / "start.npz", name, config)
    dataset = make_dataset(str(data), "train", None, None)
    # the images in the order the recipe's loader draws them: batch 1, shuffled by the seed, no transform
    loader = DataLoader(dataset, PAPER["batch_size"], shuffle=True, seed=0)
    loader.set_epoch(1)
    batches = list(loader)[:STEPS]
    assert len({b[1].shape for b in batches}) == STEPS      # each step an image of its own size
    expected = pytorch_fcn_steps(start, name, config, batches, LR, PAPER["momentum"], PAPER["weight_decay"])

    for steps in range(1, STEPS + 1):
        out = tmp_path / f"run{steps}"
        run_training(TrainOptions(model=name, data=str(data), val_data=str(val_data), val_split=val_split,
                                  iterations=steps, validate_every=steps, lr=LR,
                                  optimizer="sgd", momentum=PAPER["momentum"], weight_decay=PAPER["weight_decay"],
                                  schedule="constant", loss_reduction="sum", bias_lr_factor=2.0, bias_weight_decay=False,
                                  freeze_upsampling=True, batch_size=1, image_size=0, flip=False,
                                  init_from=str(tmp_path / "start.npz"), out=str(out), device=device, quiet=True,
                                  architecture=dict(config, dropout=0.0)), print_fn=lambda *a: None)
        ours = read_checkpoint(out / "last.npz").state
        if layout == "sbd":                  # the run records the validation list it computed
            assert (out / "seg11valid.txt").read_text() == "not_in_sbd\n"
        for key, theirs in expected[steps - 1].items():
            moved = theirs - start[key]
            if key.startswith("upscore"):
                np.testing.assert_array_equal(ours[key], start[key], err_msg=key)     # frozen at bilinear
                continue
            assert np.abs(moved).max() > 0, key
            np.testing.assert_allclose(ours[key] - start[key], moved, rtol=0,
                                       atol=2e-3 * np.abs(moved).max() + 1e-6 * np.abs(theirs).max(),
                                       err_msg=f"{key} after step {steps}")


def test_the_vgg16_nets_train_with_the_paper_recipe_by_default_and_say_so(tmp_path):
    voc = write_voc(tmp_path / "voc", sizes=[(40, 36), (36, 44)])
    printed = []
    options = TrainOptions(model="fcn32s-vgg16", data=str(voc), iterations=2, validate_every=1,
                           out=str(tmp_path / "run"), architecture=dict(widths=(4, 4, 8, 8, 8), fc_channels=16))
    run_training(options, print_fn=printed.append)
    text = "\n".join(map(str, printed))
    for said in ("the paper's", "SGD at 1e-10, momentum 0.99, weight decay 0.0005, biases at 2x the rate, without "
                 "weight decay; constant schedule", "batches of 1, whole images", "not flipped",
                 "summed over the labelled pixels", "every transposed convolution frozen at bilinear",
                 "2 iterations, validation every 1 iterations"):
        assert said in text, said
    assert "iteration 2/2" in text
    records = (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()
    assert len(records) == 2 and '"iteration": 2' in records[1]


def test_a_whole_image_too_large_to_train_on_is_refused_before_the_first_step(tmp_path):
    voc = write_voc(tmp_path / "voc", sizes=[(40, 36), (1000, 1001)])
    options = TrainOptions(model="fcn32s-vgg16", data=str(voc), iterations=1, out=str(tmp_path / "run"),
                           architecture=dict(widths=(4, 4, 8, 8, 8), fc_channels=16))
    with pytest.raises(ValueError, match=r"img1.png is 1001x1000: whole-image training takes images of at most "
                                         r"1,000,000 pixels"):
        run_training(options, print_fn=lambda *a: None)
    assert not (tmp_path / "run" / "last.npz").exists()
