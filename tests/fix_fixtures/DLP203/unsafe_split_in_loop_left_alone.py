# dlp-fix: --unsafe-fixes
import torch
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from torch.utils.data import random_split

SEED = 11
rows, labels = list(range(40)), [0, 1, 1, 0] * 10
held_scores = []
for repeat in range(5):
    fit_rows, held_rows, fit_labels, held_labels = train_test_split(rows, labels, test_size=0.25)
    probe = LogisticRegression().fit([[r] for r in fit_rows], fit_labels)
    held_scores.append(probe.score([[r] for r in held_rows], held_labels))
    halves = random_split(torch.arange(8), [4, 4])
first_rows, last_rows = train_test_split(rows, test_size=0.5)
