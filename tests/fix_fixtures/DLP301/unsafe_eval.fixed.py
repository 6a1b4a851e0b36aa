# dlp-fix: --unsafe-fixes
import functools

import torch


def timed(fn):
    @functools.wraps(fn)
    def inner(*a):
        return fn(*a)
    return inner


@timed
def evaluate(model, test_loader):
    correct = 0
    with torch.no_grad():
        model.eval()
        for x, y in test_loader:
            correct += (model(x).argmax(1) == y).sum().item()
    return correct
