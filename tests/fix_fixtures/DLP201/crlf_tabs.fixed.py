import torch


def run(seed):
	torch.manual_seed(seed)
	torch.backends.cudnn.deterministic = True
	torch.backends.cudnn.benchmark = False
	return torch.nn.Linear(2, 2).cuda()
