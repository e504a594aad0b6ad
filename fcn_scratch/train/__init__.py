"""Training and evaluation loops."""
from .evaluate import evaluate, predict_batch
from .report import format_metrics, write_report
from .run_folder import prepare_run_folder, run_files
from .trainer import Trainer, TrainingDiverged

__all__ = ["Trainer", "TrainingDiverged", "evaluate", "predict_batch", "write_report", "format_metrics", "prepare_run_folder",
           "run_files"]
