# dlp-fix: --unsafe-fixes
import torch
from torch.utils.data import DataLoader


def main(seed):
    torch.manual_seed(seed)
    torch.backends.cudnn.deterministic = True
    loader = DataLoader(torch.arange(10), batch_size=2, shuffle=True)
    return loader


other = DataLoader(torch.arange(10), shuffle=True, num_workers=2)
