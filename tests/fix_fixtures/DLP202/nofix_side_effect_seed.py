import time

import numpy as np
import torch

torch.manual_seed(int(time.time()))
print(np.random.rand())
