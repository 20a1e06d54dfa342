"""Lightning with repro's one callback: a tiny LSTM's fit + test on CPU gives exactly one
FINISHED run whose record has the architecture, Lightning's optimizer, the clipping threshold and
what clipping did, and the test metric; its metric history has every logged step. With
MLFlowLogger on as well there is still one run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.slow

STEPS_PER_EPOCH = 4
EPOCHS = 2


def make_module() -> Any:
    import lightning.pytorch as pl
    import torch
    from torch import nn

    class TinyLSTM(pl.LightningModule):
        def __init__(self) -> None:
            super().__init__()
            self.rnn = nn.LSTM(2, 8, batch_first=True)
            self.head = nn.Linear(8, 1)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            out, _ = self.rnn(x)
            return self.head(out[:, -1])

        def _loss(self, batch: Any) -> torch.Tensor:
            x, y = batch
            return nn.functional.mse_loss(self(x), y)

        def training_step(self, batch: Any, batch_idx: int) -> torch.Tensor:
            loss = self._loss(batch) * 100  # large gradients: clipping acts
            self.log("train_loss", loss)
            return loss

        def validation_step(self, batch: Any, batch_idx: int) -> None:
            self.log("val_loss", self._loss(batch))

        def test_step(self, batch: Any, batch_idx: int) -> None:
            self.log("test_mse", self._loss(batch))

        def configure_optimizers(self) -> Any:
            optimizer = torch.optim.SGD(self.parameters(), lr=0.01, momentum=0.5)
            schedule = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.5)
            return {"optimizer": optimizer, "lr_scheduler": schedule}

    return TinyLSTM()


def loaders() -> tuple[Any, Any]:
    import torch
    from torch.utils.data import DataLoader, TensorDataset

    generator = torch.Generator().manual_seed(0)
    x = torch.randn(STEPS_PER_EPOCH * 4, 5, 2, generator=generator)
    y = x.sum(dim=(1, 2)).unsqueeze(1)
    data = TensorDataset(x, y)
    return DataLoader(data, batch_size=4), DataLoader(data, batch_size=8)


def fit_and_test(root: Path, loggers: Any = False, **callback: Any) -> tuple[Any, Any]:
    import lightning.pytorch as pl
    from lightning.pytorch.callbacks import ModelCheckpoint

    from repro.integrations.lightning import ReproCallback

    pl.seed_everything(0, verbose=False)
    repro_callback = ReproCallback(experiment="lightning", **callback)
    trainer = pl.Trainer(
        max_epochs=EPOCHS,
        accelerator="cpu",
        devices=1,
        gradient_clip_val=0.5,
        log_every_n_steps=1,
        logger=loggers,
        callbacks=[repro_callback, ModelCheckpoint(monitor="val_loss", mode="min")],
        default_root_dir=str(root),
        enable_progress_bar=False,
        enable_model_summary=False,
    )
    module = make_module()
    train, val = loaders()
    trainer.fit(module, train, val)
    trainer.test(module, val, verbose=False)
    return repro_callback, trainer


def test_fit_and_test_give_one_finished_run_with_the_record(
    tracking_store: str, tmp_path: Path
) -> None:
    import signal

    from mlflow import MlflowClient

    handlers = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)
    callback, trainer = fit_and_test(tmp_path, watch_every=2)
    assert (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)) == handlers
    client = MlflowClient(tracking_store)
    experiment = client.get_experiment_by_name("lightning")
    runs = client.search_runs([experiment.experiment_id])
    assert len(runs) == 1 and runs[0].info.status == "FINISHED"
    run_id = runs[0].info.run_id
    assert callback.run.run_id == run_id

    import repro

    record = repro.load_run(run_id)
    assert record == callback.run.record
    (layer,) = record.architecture.recurrent_layers
    assert (layer.cell, layer.hidden_size, layer.input_size) == ("lstm", 8, 2)
    training = record.training
    assert training.optimizer.name == "SGD" and training.optimizer.settings["lr"] == 0.01
    assert training.lr_schedule.name == "StepLR" and training.lr_schedule.interval == "epoch"
    assert training.gradient_clipping.kind == "norm"
    assert training.gradient_clipping.threshold == 0.5
    assert training.precision == "fp32"
    steps = STEPS_PER_EPOCH * EPOCHS
    assert training.observed.optimizer_steps == steps and training.epochs == EPOCHS
    clipping = record.diagnostics.clipping
    assert clipping.steps == steps and clipping.threshold == 0.5
    assert 0 < clipping.clipped_steps <= steps and clipping.norm_max > 0.5
    assert record.diagnostics.gradient_flow  # watch_every=2

    test = record.metric("mse", "test")
    assert test is not None and test.value == pytest.approx(trainer.callback_metrics["test_mse"])
    validation = record.metric("loss", "validation")
    assert validation is not None and validation.higher_is_better is False  # the checkpoint's mode
    data = client.get_run(run_id).data
    assert data.metrics["results/test/mse"] == pytest.approx(test.value)
    history = client.get_metric_history(run_id, "train_loss")
    assert sorted(m.step for m in history) == list(range(steps))  # every logged step
    assert len(client.get_metric_history(run_id, "val_loss")) == EPOCHS
    best = data.tags["lightning.checkpoint.best"]
    assert best == trainer.checkpoint_callback.best_model_path and Path(best).exists()
    assert record.run.tags["lightning.checkpoint.best"] == best


def test_with_mlflow_logger_both_write_one_run(
    tracking_store: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lightning.pytorch.loggers import MLFlowLogger
    from mlflow import MlflowClient

    import repro

    # MLFlowLogger sets MLflow's process-wide tracking URI: give it back after this test
    monkeypatch.setattr("mlflow.tracking._tracking_service.utils._tracking_uri", None)

    mlflow_logger = MLFlowLogger(experiment_name="lightning", tracking_uri=tracking_store)
    callback, _ = fit_and_test(tmp_path, loggers=[mlflow_logger])
    client = MlflowClient(tracking_store)
    experiment = client.get_experiment_by_name("lightning")
    runs = client.search_runs([experiment.experiment_id])
    assert len(runs) == 1 and runs[0].info.status == "FINISHED"
    (run,) = runs
    assert run.info.run_id == mlflow_logger.run_id == callback.run.run_id
    record = repro.load_run(run.info.run_id)
    assert record.architecture is not None and record.metric("mse", "test") is not None
    assert record.run.name == run.info.run_name
    # the logger logged the metrics, once: no step twice
    steps = [m.step for m in client.get_metric_history(run.info.run_id, "train_loss")]
    assert sorted(steps) == list(range(STEPS_PER_EPOCH * EPOCHS))
    assert "repro.schema_version" in run.data.tags


def test_a_fit_that_raises_ends_its_run_failed(tracking_store: str, tmp_path: Path) -> None:
    import lightning.pytorch as pl
    from mlflow import MlflowClient

    from repro.integrations.lightning import ReproCallback

    module = make_module()
    original = module.training_step

    def failing_step(batch: Any, batch_idx: int) -> Any:
        if module.global_step == 2:
            raise RuntimeError("diverged")
        return original(batch, batch_idx)

    module.training_step = failing_step  # type: ignore[method-assign]
    callback = ReproCallback(experiment="lightning")
    trainer = pl.Trainer(
        max_epochs=1,
        accelerator="cpu",
        logger=False,
        callbacks=[callback],
        default_root_dir=str(tmp_path),
        enable_progress_bar=False,
        enable_model_summary=False,
        enable_checkpointing=False,
    )
    with pytest.raises(RuntimeError, match="diverged"):
        trainer.fit(module, loaders()[0])
    client = MlflowClient(tracking_store)
    runs = client.search_runs([client.get_experiment_by_name("lightning").experiment_id])
    assert len(runs) == 1 and runs[0].info.status == "FAILED"
    assert callback.run.record.training.observed.optimizer_steps == 2
    assert callback._logger not in trainer.loggers  # repro's logger leaves with the run
