"""Ignite engines of nlcen-monai: the adversarial (robustness) evaluator and the adversarial trainer; and the corruption evaluation."""

from __future__ import annotations

from .adversarial_batch import AdversarialPrepareBatch
from .adversarial_evaluator import PAPER_EPSILONS, AdversarialEvaluator, build_attack
from .adversarial_trainer import AdversarialSupervisedTrainer, unwrap_network
from .corruption_evaluation import CorruptionEvaluation
from .inferer_network import InfererNetwork

__all__ = [
    "AdversarialEvaluator",
    "AdversarialPrepareBatch",
    "AdversarialSupervisedTrainer",
    "CorruptionEvaluation",
    "InfererNetwork",
    "PAPER_EPSILONS",
    "build_attack",
    "unwrap_network",
]
