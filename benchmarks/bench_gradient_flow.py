"""Overhead of the gradient-flow probe at its default sampling (every=100) on a training loop.

Two models, each trained with Adam on a fixed batch (hidden 64, sequence 100, batch 32, input 8,
loss on the last step):

  nn.LSTM        one fused nn.LSTM call per forward (cuDNN on a GPU)
  LSTMCell loop  100 nn.LSTMCell calls per forward, the shape hand-written models take

For each model the same training steps run untouched ("bare") and watched by
``GradientFlowMonitor(model)`` ("probe"), on copies with the same initial weights. A repetition
runs both modes once, in a shuffled order, so drift on a shared machine hits both alike; each
mode's time covers ``--steps`` steps (by default 300, so three sampled steps are in). The
overhead is the median over repetitions of (probe / bare in the same repetition) - 1. The
script also prints the median time of an unsampled step and the mean of a sampled one in probe
mode, so the hooks' per-step cost and the per-snapshot cost can be told apart.

On the CPU, times are the training thread's CPU time (``time.thread_time``, torch on one thread
by default): on a shared machine, wall-clock ratios swing by tens of percent with the other
processes' load, while the thread's own CPU time is what the probe adds. The wall-clock ratio
is printed beside it. On a GPU, times are wall clock with the device synchronised after each
step (CPU time would miss the kernels).

Even CPU time drifts by several percent when other jobs share the cores, so the script also
measures the probe's own cost directly: the time its hooks take on an unsampled step (each
module call of one step replayed through the monitor's hooks in a tight loop, plus the cost of
torch's hook-aware call path, measured on an empty module with and without a global hook), and
the extra time of a sampled step spread over ``every`` steps. That sum over the bare step time
is the "direct" column.

    .venv/bin/python benchmarks/bench_gradient_flow.py [--steps 300] [--repeats 5]
        [--device cpu|cuda] [--threads N] [--every 100]
"""

from __future__ import annotations

import argparse
import copy
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402
from torch import nn  # noqa: E402

from repro.diagnostics import GradientFlowMonitor  # noqa: E402

HIDDEN, SEQ, BATCH, INPUT = 64, 100, 32, 8


class Fused(nn.Module):
    """nn.LSTM over the sequence, a linear read-out of the last step."""

    def __init__(self) -> None:
        super().__init__()
        self.rnn = nn.LSTM(INPUT, HIDDEN, batch_first=True)
        self.head = nn.Linear(HIDDEN, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out, _ = self.rnn(x)
        return self.head(out[:, -1])


class CellLoop(nn.Module):
    """The same network as a Python loop over nn.LSTMCell."""

    def __init__(self) -> None:
        super().__init__()
        self.cell = nn.LSTMCell(INPUT, HIDDEN)
        self.head = nn.Linear(HIDDEN, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        state = None
        for t in range(x.shape[1]):
            state = self.cell(x[:, t], state)
        return self.head(state[0])


MODELS: dict[str, Callable[[], nn.Module]] = {"nn.LSTM": Fused, "LSTMCell loop": CellLoop}


class Loop:
    """One model copy, its optimizer and a fixed batch on ``device``."""

    def __init__(self, model: nn.Module, device: torch.device) -> None:
        self.model = model.to(device)
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=1e-3)
        g = torch.Generator().manual_seed(0)
        self.x = torch.randn(BATCH, SEQ, INPUT, generator=g).to(device)
        self.y = torch.randn(BATCH, 1, generator=g).to(device)
        self.device = device

    def sync(self) -> None:
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)

    def step(self) -> None:
        loss = nn.functional.mse_loss(self.model(self.x), self.y)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()

    def run(self, steps: int, every: int | None) -> tuple[float, float, list[float]]:
        """(timed seconds, wall seconds) for ``steps`` steps (probe on when ``every``), and each
        step's timed seconds."""
        clock = time.perf_counter if self.device.type == "cuda" else time.thread_time
        monitor = GradientFlowMonitor(self.model, every=every) if every else None
        times = []
        self.sync()
        began, wall = clock(), time.perf_counter()
        for _ in range(steps):
            start = clock()
            self.step()
            self.sync()
            times.append(clock() - start)
        total, wall = clock() - began, time.perf_counter() - wall
        if monitor is not None:
            monitor.detach()
            assert monitor.snapshots, "the probe recorded nothing"
        return total, wall, times


def per_call(fn: Callable[[], object], calls: int = 20000) -> float:
    """Seconds per call of ``fn`` (thread CPU time, best of three)."""
    best = float("inf")
    for _ in range(3):
        start = time.thread_time()
        for _ in range(calls):
            fn()
        best = min(best, time.thread_time() - start)
    return best / calls


def hook_cost_per_step(loop: Loop, every: int) -> float:
    """Seconds the probe's hooks add to one unsampled step, measured directly."""
    from torch.nn.modules import module as module_hooks

    seen: list[tuple[nn.Module, tuple[object, ...]]] = []

    def record(module: nn.Module, args: tuple[object, ...]) -> None:
        seen.append((module, args))

    handle = module_hooks.register_module_forward_pre_hook(record)
    loop.step()
    handle.remove()
    monitor = GradientFlowMonitor(loop.model, every=every)
    loop.step()  # step 0 sampled; the clock now stands on an unsampled step
    loop.step()
    cost = 0.0
    for module, args in seen:

        def hooks(module: nn.Module = module, args: tuple[object, ...] = args) -> None:
            monitor._pre_forward(module, args)
            monitor._post_forward(module, args, None)

        cost += per_call(hooks, 2000)
    monitor.detach()
    empty = nn.Identity()
    plain = per_call(lambda: empty(None))
    handle = module_hooks.register_module_forward_pre_hook(lambda m, a: None)
    handle2 = module_hooks.register_module_forward_hook(lambda m, a, o: None)
    hooked = per_call(lambda: empty(None))
    handle.remove()
    handle2.remove()
    return cost + len(seen) * max(0.0, hooked - plain)


def measure(name: str, args: argparse.Namespace, device: torch.device) -> dict[str, float]:
    torch.manual_seed(0)
    base = MODELS[name]()
    loops = {"bare": Loop(copy.deepcopy(base), device), "probe": Loop(base, device)}
    for loop in loops.values():  # warm-up: allocator, kernels, cuDNN plans
        loop.run(10, None)
    ratios, walls, sampled, unsampled, bare_steps = [], [], [], [], []
    order = list(loops)
    for _ in range(args.repeats):
        random.shuffle(order)
        totals: dict[str, float] = {}
        wall: dict[str, float] = {}
        for mode in order:
            every = args.every if mode == "probe" else None
            totals[mode], wall[mode], times = loops[mode].run(args.steps, every)
            if mode == "probe":
                sampled += times[:: args.every]
                unsampled += [t for i, t in enumerate(times) if i % args.every]
            else:
                bare_steps += times
        ratios.append(totals["probe"] / totals["bare"])
        walls.append(wall["probe"] / wall["bare"])
    bare_s = statistics.median(bare_steps)
    snapshot_s = max(0.0, statistics.mean(sampled) - statistics.median(unsampled))
    hooks_s = hook_cost_per_step(loops["probe"], args.every)
    return {
        "direct": (hooks_s + snapshot_s / args.every) / bare_s,
        "hooks_us": hooks_s * 1e6,
        "overhead": statistics.median(ratios) - 1,
        "wall": statistics.median(walls) - 1,
        "spread": (max(ratios) - min(ratios)) / 2,
        "bare_ms": bare_s * 1e3,
        "unsampled_ms": statistics.median(unsampled) * 1e3,
        "sampled_ms": statistics.mean(sampled) * 1e3,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=300, help="steps per mode per repetition")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--device", default="cpu", help="cpu or cuda (a cuDNN LSTM)")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    parser.add_argument("--every", type=int, default=100, help="the probe's sampling")
    args = parser.parse_args(argv)
    if args.steps < args.every or args.repeats < 1:
        parser.error("--steps must be >= --every (a sampled step in each run) and --repeats >= 1")
    device = torch.device(args.device)
    if device.type == "cuda" and not torch.cuda.is_available():
        parser.error("--device cuda: torch sees no CUDA device here")
    torch.set_num_threads(args.threads)
    where = (
        torch.cuda.get_device_name(device)
        if device.type == "cuda"
        else f"CPU, {args.threads} thread(s)"
    )
    print(
        f"gradient-flow probe, every={args.every}: hidden {HIDDEN}, sequence {SEQ}, batch "
        f"{BATCH}, Adam; {args.repeats} x {args.steps} steps per mode; torch "
        f"{torch.__version__} on {where}"
    )
    timed = "wall clock" if device.type == "cuda" else "thread CPU time"
    print(f"step times and overhead in {timed}; +- is half the range over repetitions")
    print(
        f"{'model':<15}{'bare step':>11}{'probe step':>12}{'sampled step':>14}"
        f"{'overhead':>11}{'+-':>8}{'wall-clock':>12}{'hooks/step':>12}{'direct':>9}"
    )
    worst = direct = 0.0
    for name in MODELS:
        r = measure(name, args, device)
        worst, direct = max(worst, r["overhead"]), max(direct, r["direct"])
        print(
            f"{name:<15}{r['bare_ms']:>9.2f}ms{r['unsampled_ms']:>10.2f}ms{r['sampled_ms']:>12.2f}ms"
            f"{r['overhead']:>10.1%}{r['spread']:>8.1%}{r['wall']:>11.1%}"
            f"{r['hooks_us']:>10.0f}us{r['direct']:>9.2%}"
        )
    print(f"worst overhead {worst:.1%} side by side, {direct:.2%} measured directly (target <= 5%)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
