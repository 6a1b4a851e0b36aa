import functools

import torch


def logged(fn):
    @functools.wraps(fn)
    def inner(*args, **kwargs):
        return fn(*args, **kwargs)
    return inner


@logged
def train(seed, hooks):
    @functools.lru_cache()
    def setup():
        # seed everything first
        torch.manual_seed(seed)

        # then build the model
        return torch.nn.Conv2d(2, 2, 1).cuda()

    hooks.append(setup)
