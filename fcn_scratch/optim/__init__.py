"""Optimizers over ``model.named_parameters()`` and learning-rate schedules."""
from .adam import Adam
from .base import Optimizer
from .schedules import SCHEDULES, set_lr
from .sgd import SGD

OPTIMIZERS = {"sgd": SGD, "adam": Adam}

__all__ = ["Optimizer", "SGD", "Adam", "OPTIMIZERS", "SCHEDULES", "set_lr"]
