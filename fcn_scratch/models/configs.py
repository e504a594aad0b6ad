"""The two geometries of the FCN family, as keyword arguments of :class:`fcn_scratch.models.FCN`.

``SMALL`` is the net the course trains on a laptop in minutes: a VGG-like
encoder of five blocks of two same-padded 3x3 convolutions, narrow, with a
3x3 fc6. ``VGG16`` is the paper's: VGG16's thirteen convolutions (64, 128,
256, 512, 512 channels; 2, 2, 3, 3, 3 per block), its fully connected layers
as convolutions (fc6 a 7x7 to 4096, unpadded, fc7 a 1x1), and conv1_1 padded
by 100 pixels so that fc6 still has a 7x7 window on small images.
"""

SMALL = dict(widths=(16, 32, 64, 128, 128), convs_per_block=2, conv1_padding=1, fc_channels=256, fc6_kernel=3,
             fc6_padding=None)

VGG16 = dict(widths=(64, 128, 256, 512, 512), convs_per_block=(2, 2, 3, 3, 3), conv1_padding=100,
             fc_channels=4096, fc6_kernel=7, fc6_padding=0)
