"""Training and evaluation loops."""
from .evaluate import evaluate, evaluate_checkpoint
from .predict import image_files, output_names, predict_batch, predict_checkpoint, predict_files, predict_image
from .report import format_metrics, write_report
from .defaults import LR, PAPER, TOY, TOY_DATA, recipe_for
from .recipe import TrainOptions, describe, resolve, run_training
from .run_folder import files_to_replace, hold_run_folder, remove_run_files, run_files
from .trainer import FitResult, Trainer, TrainingDiverged

__all__ = ["Trainer", "TrainingDiverged", "FitResult", "TrainOptions", "run_training", "resolve", "describe",
           "TOY", "PAPER", "TOY_DATA", "LR", "recipe_for", "evaluate",
           "evaluate_checkpoint", "predict_batch", "predict_image", "predict_files", "predict_checkpoint",
           "image_files", "output_names",
           "write_report", "format_metrics", "files_to_replace", "hold_run_folder", "remove_run_files",
           "run_files"]
