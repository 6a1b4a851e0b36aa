import torch.nn.functional as F
from torch import nn


class Net(nn.Module):
    def forward(self, x):
        return x


def evaluate(model, val_loader):
    model.eval()
    correct = 0
    # count hits on the validation set
    for x, y in val_loader:  # batches
        # forward pass
        out = model(x)

        correct += (out.argmax(1) == y).sum().item()
    return correct


def fit(model, train_loader, val_loader, optimizer):
    for epoch in range(3):
        model.train()
        for x, y in train_loader:
            optimizer.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            optimizer.step()
            print(loss.item())
        model.eval()
        for x, y in val_loader: print(F.cross_entropy(model(x), y).item())
