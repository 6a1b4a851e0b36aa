# dlp-fix: --unsafe-fixes
import torch.nn.functional as F


def train(model, loader, optimizer, scheduler, epochs):
    for epoch in range(epochs):
        model.train()
        for x, y in loader:
            optimizer.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            optimizer.step()
            scheduler.step()  # warm-up
            print(loss.item())
