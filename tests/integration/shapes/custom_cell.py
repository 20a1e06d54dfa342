"""A hand-written recurrent cell (a minimal gated unit) on the adding problem."""

import torch
from torch import nn

import repro  # repro

torch.manual_seed(5)
STEPS, LENGTH, HIDDEN = 20, 10, 16


class MGUCell(nn.Module):
    """Minimal gated unit (Zhou et al. 2016): one forget gate instead of the GRU's two."""

    def __init__(self, input_size: int, hidden_size: int) -> None:
        super().__init__()
        self.input_size, self.hidden_size = input_size, hidden_size
        self.forget = nn.Linear(input_size + hidden_size, hidden_size)
        self.candidate = nn.Linear(input_size + hidden_size, hidden_size)

    def forward(self, x: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
        f = torch.sigmoid(self.forget(torch.cat([x, h], dim=-1)))
        candidate = torch.tanh(self.candidate(torch.cat([x, f * h], dim=-1)))
        return (1 - f) * h + f * candidate


class Regressor(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.cell = MGUCell(2, HIDDEN)
        self.head = nn.Linear(HIDDEN, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = x.new_zeros(x.size(0), HIDDEN)
        for t in range(x.size(1)):
            h = self.cell(x[:, t], h)
        return self.head(h).squeeze(-1)


values = torch.rand(128, LENGTH)
marks = torch.zeros(128, LENGTH).scatter_(1, torch.randint(0, LENGTH, (128, 2)), 1.0)
x, y = torch.stack([values, marks], dim=-1), (values * marks).sum(dim=1)
model = Regressor()
optimizer = torch.optim.RMSprop(model.parameters(), lr=1e-3)

with repro.track(model, optimizer, cells={"cell": "minimal gated unit (Zhou et al. 2016)"}, batch_size=16) as run:  # repro
    for step in range(STEPS):
        index = torch.randint(0, len(x), (16,))
        loss = nn.functional.mse_loss(model(x[index]), y[index])
        optimizer.zero_grad()
        loss.backward()
        run.clip_grad_value(model.parameters(), 0.5)  # repro: torch.nn.utils.clip_grad_value_(model.parameters(), 0.5)
        optimizer.step()
        run.log_metrics({"train/loss": loss.item()}, step=step)  # repro
