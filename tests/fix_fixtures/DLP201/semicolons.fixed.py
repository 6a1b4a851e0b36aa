import random
import torch

random.seed(0); torch.manual_seed(0); torch.backends.cudnn.deterministic = True; torch.backends.cudnn.benchmark = False; print("seeded")
x = torch.nn.Conv1d(3, 3, 1).cuda()
