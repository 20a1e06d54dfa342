"""Word-level language model (after pytorch/examples' word_language_model): an embedding, a
2-layer LSTM with dropout, a decoder tied to the embedding, SGD under StepLR, clipping."""

import torch
from torch import nn

import repro  # repro

torch.manual_seed(1111)
VOCAB, EMSIZE, BPTT, BATCH, EPOCHS, CLIP = 40, 16, 6, 4, 2, 0.25


class RNNModel(nn.Module):
    def __init__(self, ntoken: int, ninp: int, nlayers: int, dropout: float = 0.5) -> None:
        super().__init__()
        self.drop = nn.Dropout(dropout)
        self.encoder = nn.Embedding(ntoken, ninp)
        self.rnn = nn.LSTM(ninp, ninp, nlayers, dropout=dropout)
        self.decoder = nn.Linear(ninp, ntoken)
        self.decoder.weight = self.encoder.weight  # tied weights (Press & Wolf 2017)
        nn.init.uniform_(self.encoder.weight, -0.1, 0.1)
        nn.init.zeros_(self.decoder.bias)

    def forward(self, x: torch.Tensor, hidden: tuple | None) -> tuple:
        emb = self.drop(self.encoder(x))
        output, hidden = self.rnn(emb, hidden)
        return self.decoder(self.drop(output)), hidden


def batchify(data: torch.Tensor, size: int) -> torch.Tensor:
    return data[: data.size(0) // size * size].view(size, -1).t().contiguous()


corpus = torch.randint(0, VOCAB, (400,))
train_tokens, val_tokens = corpus[:320], corpus[320:]
train_data, val_data = batchify(train_tokens, BATCH), batchify(val_tokens, BATCH)
model = RNNModel(VOCAB, EMSIZE, 2)
criterion = nn.CrossEntropyLoss()
optimizer = torch.optim.SGD(model.parameters(), lr=20.0)
scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.25)

with repro.track(model, optimizer, scheduler=scheduler, data={"train": train_tokens, "valid": val_tokens}, loss=criterion, epochs=EPOCHS, tbptt_length=BPTT) as run:  # repro
    for _epoch in range(EPOCHS):
        model.train()
        hidden = None
        for i in range(0, train_data.size(0) - 1, BPTT):
            seq_len = min(BPTT, len(train_data) - 1 - i)
            data = train_data[i : i + seq_len]
            targets = train_data[i + 1 : i + 1 + seq_len].reshape(-1)
            if hidden is not None:
                hidden = tuple(h.detach() for h in hidden)
            output, hidden = model(data, hidden)
            loss = criterion(output.view(-1, VOCAB), targets)
            optimizer.zero_grad()
            loss.backward()
            run.clip_grad_norm(model.parameters(), CLIP)  # repro: torch.nn.utils.clip_grad_norm_(model.parameters(), CLIP)
            optimizer.step()
            run.log_metrics({"train/loss": loss.item()})  # repro
        scheduler.step()
