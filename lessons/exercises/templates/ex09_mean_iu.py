"""Exercise 9, after lesson 7: IU per class and mean IU, from a confusion matrix.

The paper's headline number. With n[i, j] the pixels of true class i predicted
as class j (rows: truth, columns: prediction), IU is intersection over union:
the pixels both call class i, over the pixels either calls class i. Mean IU
weighs every class alike, so a net cannot score well on the background alone.

Check:  python lessons/exercises/check.py mean_iu          (add --hint for a hint)
"""
import numpy as np


def class_iu(confusion):
    """IU of every class.

    confusion:  (C, C) integers, rows the truth, columns the prediction
    returns:    (C,) floats

        t_i = sum_j n[i, j]  (true pixels of class i),   p_i = sum_j n[j, i]  (pixels predicted i)
        IU_i = n[i, i] / (t_i + p_i - n[i, i])

    A class in neither the truth nor the prediction has no IU (0 / 0): nan.
    """
    raise NotImplementedError


def mean_iu(confusion):
    """Mean IU: the mean of class_iu over the classes that have one (a float).

        mean IU = (1 / n_cl) * sum_i IU_i,   over the n_cl classes whose IU is not nan

    When no class has an IU (n_cl = 0: a confusion matrix of zeros, no pixels) there is
    nothing to average: return nan, as np.nanmean does, not 0, which would claim a net that
    got every pixel wrong.
    """
    raise NotImplementedError
