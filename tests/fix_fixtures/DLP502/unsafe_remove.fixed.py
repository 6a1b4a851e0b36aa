# dlp-fix: --unsafe-fixes
import torch
import torch.nn.functional as F

# find the NaN


def train(model, loader, optimizer):
    model.train()
    for x, y in loader:
        optimizer.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        print(loss.item())
