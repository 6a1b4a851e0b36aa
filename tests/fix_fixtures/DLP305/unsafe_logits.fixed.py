# dlp-fix: --unsafe-fixes
import torch
import torch.nn as nn
import torch.nn.functional as F


def losses(logits, target, bin_logits, bin_target):
    a = nn.CrossEntropyLoss()(logits, target)
    b = F.cross_entropy(
        logits,  # probabilities
        target,
    )
    c = F.nll_loss(F.log_softmax(logits, dim=1), target)
    d = F.binary_cross_entropy_with_logits(bin_logits, bin_target)
    probs = logits.softmax(-1)
    return a + b + c + d + nn.CrossEntropyLoss()(probs, target)
