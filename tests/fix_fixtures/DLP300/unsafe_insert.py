# dlp-fix: --unsafe-fixes
import torch
import torch.nn.functional as F


def train(model, loader, optimizer, clip):
    model.train()
    for x, y in loader:
        loss = F.cross_entropy(model(x), y)
        # backprop
        loss.backward()
        if clip: torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        print(loss.item())
