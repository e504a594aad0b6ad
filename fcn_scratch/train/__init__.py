"""Training and evaluation loops."""
from .evaluate import evaluate, predict_batch
from .report import format_metrics, write_report
from .trainer import Trainer, TrainingDiverged

__all__ = ["Trainer", "TrainingDiverged", "evaluate", "predict_batch", "write_report", "format_metrics"]
