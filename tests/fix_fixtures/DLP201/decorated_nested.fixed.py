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
        torch.backends.cudnn.deterministic = True
        torch.backends.cudnn.benchmark = False

        # then build the model
        return torch.nn.Linear(2, 2).cuda()

    hooks.append(setup)
