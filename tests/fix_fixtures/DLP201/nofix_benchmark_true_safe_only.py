import torch

torch.manual_seed(0)
torch.backends.cudnn.benchmark = True  # speed
model = torch.nn.Linear(2, 2).cuda()
