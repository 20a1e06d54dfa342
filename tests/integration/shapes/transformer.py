"""The language model's Transformer option (after pytorch/examples' word_language_model): a
Transformer encoder and no recurrent layer, AdamW with a per-step warm-up."""

import math

import torch
from torch import nn

import repro  # repro

torch.manual_seed(11)
VOCAB, NINP, BPTT, WARMUP = 40, 16, 8, 4


class PositionalEncoding(nn.Module):
    def __init__(self, d_model: int, dropout: float, max_len: int = 64) -> None:
        super().__init__()
        self.dropout = nn.Dropout(p=dropout)
        position = torch.arange(max_len).unsqueeze(1)
        div = torch.exp(torch.arange(0, d_model, 2) * (-math.log(10000.0) / d_model))
        pe = torch.zeros(max_len, 1, d_model)
        pe[:, 0, 0::2], pe[:, 0, 1::2] = torch.sin(position * div), torch.cos(position * div)
        self.register_buffer("pe", pe)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.dropout(x + self.pe[: x.size(0)])


class TransformerModel(nn.Module):
    def __init__(self, ntoken: int, ninp: int, nhead: int, nhid: int, nlayers: int) -> None:
        super().__init__()
        self.encoder = nn.Embedding(ntoken, ninp)
        self.pos_encoder = PositionalEncoding(ninp, 0.2)
        layer = nn.TransformerEncoderLayer(ninp, nhead, nhid, 0.2)
        self.transformer_encoder = nn.TransformerEncoder(layer, nlayers, enable_nested_tensor=False)
        self.decoder = nn.Linear(ninp, ntoken)
        self.ninp = ninp

    def forward(self, src: torch.Tensor) -> torch.Tensor:
        mask = nn.Transformer.generate_square_subsequent_mask(len(src))
        src = self.pos_encoder(self.encoder(src) * math.sqrt(self.ninp))
        return self.decoder(self.transformer_encoder(src, mask))


stream = torch.randint(0, VOCAB, (4, 200)).t().contiguous()
model = TransformerModel(VOCAB, NINP, 2, 32, 2)
criterion = nn.CrossEntropyLoss()
optimizer = torch.optim.AdamW(model.parameters(), lr=5e-3)
scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: min(1.0, (step + 1) / WARMUP))

with repro.track(model, optimizer, scheduler=scheduler, data={"train": stream}, loss=criterion) as run:  # repro
    for step, i in enumerate(range(0, 64, BPTT)):
        data, targets = stream[i : i + BPTT], stream[i + 1 : i + 1 + BPTT].reshape(-1)
        loss = criterion(model(data).view(-1, VOCAB), targets)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        scheduler.step()
        run.log_metrics({"train/loss": loss.item()}, step=step)  # repro
