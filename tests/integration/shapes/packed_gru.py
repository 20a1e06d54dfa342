"""Sentence classifier: token ids with padding_idx, packed sequences, a bidirectional GRU, a
DataLoader with its own seeded generator."""

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_sequence
from torch.utils.data import DataLoader, Dataset

import repro  # repro

torch.manual_seed(3)
PAD, VOCAB, EPOCHS = 0, 30, 3


class Sentences(Dataset):
    def __init__(self, n: int) -> None:
        g = torch.Generator().manual_seed(n)
        lengths = torch.randint(3, 12, (n,), generator=g).tolist()
        self.items = [
            (torch.randint(1, VOCAB, (k,), generator=g), int(torch.randint(0, 2, (1,), generator=g)))
            for k in lengths
        ]

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, int]:
        return self.items[i]


def collate(batch: list) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    seqs, labels = zip(*batch, strict=True)
    lengths = torch.tensor([len(s) for s in seqs])
    return pad_sequence(seqs, batch_first=True, padding_value=PAD), lengths, torch.tensor(labels)


class Classifier(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.embedding = nn.Embedding(VOCAB, 8, padding_idx=PAD)
        self.gru = nn.GRU(8, 12, batch_first=True, bidirectional=True)
        self.out = nn.Linear(24, 2)

    def forward(self, tokens: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        embedded = self.embedding(tokens)
        packed = pack_padded_sequence(embedded, lengths, batch_first=True, enforce_sorted=False)
        _, h = self.gru(packed)
        return self.out(torch.cat([h[-2], h[-1]], dim=1))


generator = torch.Generator().manual_seed(7)
loader = DataLoader(Sentences(40), batch_size=8, shuffle=True, collate_fn=collate, generator=generator)
model = Classifier()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
criterion = nn.CrossEntropyLoss()

with repro.track(model, optimizer, data=loader, loss=criterion) as run:  # repro
    for _epoch in range(EPOCHS):
        for tokens, lengths, labels in loader:
            loss = criterion(model(tokens, lengths), labels)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            run.log_metrics({"train/loss": loss.item()})  # repro
