import argparse
import random

import numpy as np
import torch


def set_seed(seed):
    torch.manual_seed(seed)
    torch.backends.cudnn.deterministic = True


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    set_seed(args.seed)
    files = [f"{i}.png" for i in range(10)]
    random.shuffle(files)
    chosen = open(np.random.choice(files))  # the draw decides what is read, not only what is shown
    print(chosen.name)


if __name__ == "__main__":
    main()
