"""A watched model leaves no trace of repro: saved whole, pickled, copied, compiled; no hook after.

The issue's blocker: a training script saved its best model with ``torch.save(model, f)`` inside
a tracked run, and the file held repro's monitor, so ``torch.load(f)`` (``weights_only=True``)
failed. The probe now uses torch's global hooks only and never writes into the model.
"""

from __future__ import annotations

import copy
import pickle
from pathlib import Path
from typing import Any

import pytest
import torch
from mlflow import MlflowClient
from torch import nn
from torch.nn.modules import module as module_hooks
from torch.optim import optimizer as optimizer_hooks

import repro
from repro.diagnostics import GradientFlowMonitor

EXAMPLE = Path(__file__).parents[3] / "examples" / "records" / "lstm-adding.yaml"


class WordModel(nn.Module):
    """A small word-level language model: embedding, LSTM, decoder (like the public example)."""

    def __init__(self, vocabulary: int = 50, hidden: int = 16) -> None:
        super().__init__()
        self.embed = nn.Embedding(vocabulary, hidden)
        self.rnn = nn.LSTM(hidden, hidden, num_layers=2, batch_first=True)
        self.cell = nn.GRUCell(hidden, hidden)
        self.decoder = nn.Linear(hidden, vocabulary)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        out, _ = self.rnn(self.embed(tokens))
        h = None
        for t in range(out.shape[1]):
            h = self.cell(out[:, t], h)
        return self.decoder(out + h[:, None])


def hook_tables() -> tuple[dict[int, Any], ...]:
    """torch's global module and optimizer hook tables, copied."""
    return (
        dict(module_hooks._global_forward_pre_hooks),
        dict(module_hooks._global_forward_hooks),
        dict(optimizer_hooks._global_optimizer_post_hooks),
    )


def module_hook_dicts(model: nn.Module) -> list[dict[Any, Any]]:
    names = ("_forward_pre_hooks", "_forward_hooks", "_backward_hooks", "_backward_pre_hooks")
    return [getattr(m, name) for m in model.modules() for name in names]


def train_step(model: WordModel, optimizer: torch.optim.Optimizer, tokens: torch.Tensor) -> float:
    logits = model(tokens[:, :-1])
    loss = nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), tokens[:, 1:].ravel())
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return loss.item()


def globals_in(path: Path) -> set[str]:
    """Every global the checkpoint would import that weights_only does not allow by default."""
    return set(torch.serialization.get_unsafe_globals_in_checkpoint(str(path)))


def test_a_model_saved_whole_inside_a_run_loads_with_weights_only(
    tracking_store: str, tmp_path: Path
) -> None:
    torch.manual_seed(0)
    model = WordModel()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
    tokens = torch.randint(0, 50, (4, 12))
    before = hook_tables()
    record = repro.load_record(EXAMPLE)
    record.results = []
    with repro.track(record, experiment="lm", capture=False) as run:
        run.watch(model, every=2)
        for step in range(5):
            loss = train_step(model, optimizer, tokens)
            run.log_metrics({"train/loss": loss}, step=step)
            # the script saves its best model whole, mid-run, with a snapshot pending or not
            torch.save(model, tmp_path / "best.pt")
        unsafe = globals_in(tmp_path / "best.pt")
        assert unsafe <= {
            f"{__name__}.WordModel",
            "torch.nn.modules.sparse.Embedding",
            "torch.nn.modules.rnn.LSTM",
            "torch.nn.modules.rnn.GRUCell",
            "torch.nn.modules.linear.Linear",
        }, unsafe
        classes = [WordModel, nn.Embedding, nn.LSTM, nn.GRUCell, nn.Linear]
        with torch.serialization.safe_globals(classes):
            loaded = torch.load(tmp_path / "best.pt", weights_only=True)  # torch's default
        assert isinstance(loaded, WordModel)
        assert all(not hooks for hooks in module_hook_dicts(loaded))
        for a, b in zip(loaded.state_dict().values(), model.state_dict().values(), strict=True):
            assert torch.equal(a, b)
    assert run.record.run.status == "finished"
    assert MlflowClient(tracking_store).get_run(run.run_id).info.status == "FINISHED"
    diagnostics = run.record.diagnostics
    assert diagnostics is not None and diagnostics.gradient_flow_watch is not None
    assert {(s.layer, s.step) for s in diagnostics.gradient_flow} == {
        (layer, step) for layer in ("rnn", "cell") for step in (0, 2, 4)
    }
    layers = {(f.layer, f.direction): f for f in diagnostics.gradient_flow_layers}
    assert set(layers) == {("rnn", "forward"), ("cell", "forward")}
    rnn, cell = layers["rnn", "forward"], layers["cell", "forward"]
    assert (rnn.snapshots, rnn.first_step, rnn.latest_step, rnn.module) == (3, 0, 4, "LSTM")
    assert rnn.initial is not None and rnn.latest is not None
    assert (cell.time_axis, cell.module) == ("calls", "GRUCell")
    # the latest reading per layer went to MLflow: a few keys per layer, one point per snapshot
    client = MlflowClient(tracking_store)
    flow_keys = {k for k in client.get_run(run.run_id).data.metrics if k.startswith("grad_flow/")}
    assert {"grad_flow/rnn/ratio", "grad_flow/cell/ratio"} <= flow_keys
    assert flow_keys <= {
        f"grad_flow/{layer}/{name}"
        for layer in ("rnn", "cell")
        for name in ("ratio", "rate_per_step", "horizon")
    }
    assert [m.step for m in client.get_metric_history(run.run_id, "grad_flow/rnn/ratio")] == [
        0,
        2,
        4,
    ]
    # once the run has ended, neither torch's global tables nor the model hold a repro hook
    assert hook_tables() == before
    assert all(not hooks for hooks in module_hook_dicts(model))


def test_pickle_and_deepcopy_while_watched_carry_no_repro_object() -> None:
    torch.manual_seed(1)
    model = WordModel()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
    tokens = torch.randint(0, 50, (4, 12))
    with GradientFlowMonitor(model, every=1) as monitor:
        logits = model(tokens)  # a sampled forward whose backward has not run yet
        data = pickle.dumps(model)
        assert b"repro" not in data and b"functools" not in data
        clone = copy.deepcopy(model)
        assert all(not hooks for hooks in module_hook_dicts(clone))
        assert not any("repro" in type(v).__module__ for v in vars(clone).values())
        logits.sum().backward()
        train_step(model, optimizer, tokens)  # still optimizer step 0: not sampled again
        clone(tokens).sum().backward()  # the copy is not watched
        train_step(model, optimizer, tokens)
        assert [(s.layer, s.step) for s in monitor.snapshots] == [
            ("rnn", 0),
            ("cell", 0),
            ("rnn", 1),
            ("cell", 1),
        ]
    assert pickle.loads(data).state_dict().keys() == model.state_dict().keys()


@pytest.mark.slow
def test_a_watched_model_compiles_and_trains() -> None:
    torch.manual_seed(2)
    model = WordModel()
    twin = copy.deepcopy(model)
    tokens = torch.randint(0, 50, (4, 12))
    before = hook_tables()
    with GradientFlowMonitor(model, every=1):
        compiled = torch.compile(model)  # torch's default backend (inductor; a C++ compiler)
        with pytest.warns(UserWarning, match="global hooks"):  # torch says the hooks exist
            compiled(tokens).sum().backward()
    assert hook_tables() == before
    twin(tokens).sum().backward()
    for (name, a), (_, b) in zip(model.named_parameters(), twin.named_parameters(), strict=True):
        assert a.grad is not None and b.grad is not None
        torch.testing.assert_close(a.grad, b.grad, msg=name)


def test_watch_belongs_inside_the_run(tracking_store: str) -> None:
    record = repro.load_record(EXAMPLE)
    run = repro.track(record, capture=False)
    with pytest.raises(RuntimeError, match="not active"):
        run.watch(WordModel())  # its hooks could never be removed
    before = hook_tables()
    with pytest.raises(ZeroDivisionError), run:
        run.watch(WordModel(), every=10, modules=["decoder"])
        raise ZeroDivisionError  # the user's training fails: the hooks still go
    assert hook_tables() == before
    assert run.record.run.status == "failed"
    watch = run.record.diagnostics.gradient_flow_watch
    assert watch is not None and watch.every == 10
    assert [f.layer for f in run.record.diagnostics.gradient_flow_layers] == [
        "rnn",
        "cell",
        "decoder",
    ]
