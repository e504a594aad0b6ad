"""Training and evaluation loops."""
from .evaluate import evaluate, predict_batch
from .trainer import Trainer, TrainingDiverged

__all__ = ["Trainer", "TrainingDiverged", "evaluate", "predict_batch"]
