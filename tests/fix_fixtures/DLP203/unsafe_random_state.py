# dlp-fix: --unsafe-fixes
import torch
from sklearn.model_selection import KFold, train_test_split
from torch.utils.data import random_split

SEED = 7
X, y = list(range(10)), [0, 1] * 5
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2)
folds = KFold(n_splits=3, shuffle=True)
parts = random_split(torch.arange(10), [8, 2])
torch.manual_seed(SEED)
