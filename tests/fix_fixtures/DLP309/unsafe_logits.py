# dlp-fix: --unsafe-fixes
import torch
import torch.nn as nn
import torch.nn.functional as F


def losses(logits, target, weights):
    a = F.binary_cross_entropy(torch.sigmoid(logits), target, weight=weights)
    b = nn.BCELoss()(logits.sigmoid(), target)
    return a + b
