"""Data on the host: the toy shapes, VOC-format and SBD folders, transforms and batches (NumPy + Pillow)."""
from .check import check_files, check_image_sizes
from .factory import make_dataset
from .images import IMAGE_SUFFIXES, NoteOnce, Picture, load_image, read_image
from .loader import DataLoader
from .preprocess import CAFFE_VGG, PRESETS, TORCHVISION_IMAGENET, Preprocessing
from .sbd import SBDSegmentation, load_mat_labels, sbd_root
from .seg11valid import SEG11VALID, seg11valid_ids
from .splits import read_split_list, write_split_list
from .toy import CLASS_NAMES, ToySegmentation, make_sample
from .transforms import Compose, RandomCropOrPad, RandomHorizontalFlip, pad_to, resize_image, resize_labels
from .voc import VOC_CLASSES, VOCSegmentation, load_mask, save_mask, voc_palette

__all__ = ["check_files", "check_image_sizes", "make_dataset", "IMAGE_SUFFIXES", "NoteOnce", "Picture",
           "read_image", "load_image", "DataLoader", "ToySegmentation", "make_sample", "CLASS_NAMES",
           "VOCSegmentation", "VOC_CLASSES", "voc_palette", "save_mask", "load_mask", "Compose", "RandomCropOrPad",
           "RandomHorizontalFlip", "pad_to", "resize_image", "resize_labels",
           "Preprocessing", "CAFFE_VGG", "TORCHVISION_IMAGENET", "PRESETS",
           "SBDSegmentation", "load_mat_labels", "sbd_root", "SEG11VALID", "seg11valid_ids",
           "read_split_list", "write_split_list"]
