"""Sine-wave predictor (after pytorch/examples' time_sequence_prediction): two stacked
nn.LSTMCell in float64, trained with LBFGS."""

import numpy as np
import torch
from torch import nn

import repro  # repro

np.random.seed(2)
torch.manual_seed(0)
T, L, N, HIDDEN = 20, 40, 10, 16
x = np.empty((N, L), np.float64)
x[:] = np.arange(L) + np.random.randint(-4 * T, 4 * T, N).reshape(N, 1)
waves = np.sin(x / 1.0 / T).astype("float64")
inputs, target = torch.from_numpy(waves[3:, :-1]), torch.from_numpy(waves[3:, 1:])


class Sequence(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.lstm1 = nn.LSTMCell(1, HIDDEN)
        self.lstm2 = nn.LSTMCell(HIDDEN, HIDDEN)
        self.linear = nn.Linear(HIDDEN, 1)

    def forward(self, signal: torch.Tensor) -> torch.Tensor:
        h_t = c_t = h_t2 = c_t2 = torch.zeros(signal.size(0), HIDDEN, dtype=torch.double)
        outputs = []
        for input_t in signal.split(1, dim=1):
            h_t, c_t = self.lstm1(input_t, (h_t, c_t))
            h_t2, c_t2 = self.lstm2(h_t, (h_t2, c_t2))
            outputs.append(self.linear(h_t2))
        return torch.cat(outputs, dim=1)


seq = Sequence().double()
criterion = nn.MSELoss()
optimizer = torch.optim.LBFGS(seq.parameters(), lr=0.8, max_iter=4)

with repro.track(seq, optimizer, data={"train": inputs}, loss=criterion) as run:  # repro
    for i in range(3):

        def closure() -> torch.Tensor:
            optimizer.zero_grad()
            loss = criterion(seq(inputs), target)
            loss.backward()
            return loss

        loss = optimizer.step(closure)
        run.log_metrics({"train/loss": loss.item()}, step=i)  # repro
