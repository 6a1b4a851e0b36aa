import torch


def run(seed):
	torch.manual_seed(seed)
	return torch.nn.Linear(2, 2).cuda()
