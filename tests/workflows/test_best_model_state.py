"""Tests for BestModelState: the validation's best-model record survives a checkpoint round trip."""

from __future__ import annotations

from types import SimpleNamespace

import torch
from monai.handlers import CheckpointSaver

from nlcen_monai.workflows import BestModelState


def _evaluator(best_metric: float = -1.0, best_metric_epoch: int = -1) -> SimpleNamespace:
    return SimpleNamespace(state=SimpleNamespace(best_metric=best_metric, best_metric_epoch=best_metric_epoch))


def _saver(tmp_path) -> CheckpointSaver:
    net = torch.nn.Linear(1, 1)
    return CheckpointSaver(str(tmp_path), {"model": net}, save_key_metric=True, key_metric_filename="model.pt")


def test_round_trip_through_torch_save(tmp_path):
    saver = _saver(tmp_path)
    saver.load_state_dict({"_saved": [(0.93, "model_key_metric=0.9300.pt")]})  # as after a validation
    state = BestModelState(_evaluator(0.93, 7), saver).state_dict()
    torch.save({"validation": state}, tmp_path / "ckpt.pt")
    loaded = torch.load(tmp_path / "ckpt.pt", weights_only=True)["validation"]  # plain values only

    evaluator, fresh = _evaluator(), _saver(tmp_path)
    BestModelState(evaluator, fresh).load_state_dict(loaded)
    assert (evaluator.state.best_metric, evaluator.state.best_metric_epoch) == (0.93, 7)
    assert BestModelState(evaluator, fresh).state_dict() == state
    assert state["saved"] == [(0.93, "model_key_metric=0.9300.pt")]


def test_without_saver_only_the_evaluator_record(tmp_path):
    """On ranks other than 0 the saver is disabled (None): the evaluator's record still round-trips."""
    state = BestModelState(_evaluator(0.5, 2)).state_dict()
    assert state == {"best_metric": 0.5, "best_metric_epoch": 2}
    evaluator = _evaluator()
    BestModelState(evaluator, None).load_state_dict(dict(state, saved=[(0.5, "model_key_metric=0.5000.pt")]))
    assert evaluator.state.best_metric == 0.5
