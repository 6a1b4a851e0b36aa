import torch.nn.functional as F


def train(model, loader, optimizer):
    total = 0.0
    losses = []
    model.train()
    for x, y in loader:
        optimizer.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        total += loss.item(); losses.append(loss.detach())
    print(total / len(loader), losses)
