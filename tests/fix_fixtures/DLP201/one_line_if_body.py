import argparse

import torch


def main():
    args = argparse.ArgumentParser().parse_args()
    if args.seed is not None: torch.manual_seed(args.seed)  # optional seed
    model = torch.nn.Conv2d(4, 2, 1).cuda()
    return model
