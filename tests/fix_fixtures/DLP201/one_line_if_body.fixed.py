import argparse

import torch


def main():
    args = argparse.ArgumentParser().parse_args()
    if args.seed is not None: torch.manual_seed(args.seed); torch.backends.cudnn.deterministic = True; torch.backends.cudnn.benchmark = False  # optional seed
    model = torch.nn.Conv2d(4, 2, 1).cuda()
    return model
