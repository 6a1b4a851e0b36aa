# dlp-fix: --unsafe-fixes
import torch
import torch.nn as nn
import torch.nn.functional as F


def losses(logits, target, weights):
    a = torch.nn.functional.binary_cross_entropy_with_logits(logits, target, weight=weights)
    b = nn.BCELoss()(logits.sigmoid(), target)
    return a + b
