"""A realistic large training module, generated: what a 5,000-line file of a deep-learning project
looks like (a model zoo with its blocks, datasets, training and evaluation helpers, a command
line), for timing the checker on code shaped like real code rather than on one pattern repeated.

Written for this project (no third-party code). Each *family* is one model architecture with its
building blocks, factory functions, dataset, training step, evaluation and metrics; families vary
the layers, normalisation, activation, optimiser, scheduler, precision and accumulation, and a
few carry the mistakes real projects have (an evaluation without ``torch.no_grad()``, a
normalisation fitted before the split), so the editor has diagnostics to show.
"""
from __future__ import annotations

HEADER = '''"""Model zoo and training utilities for image and tabular classification experiments."""
from __future__ import annotations

import argparse
import json
import logging
import math
import os
import random
import time
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Tuple

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from sklearn.metrics import f1_score, roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler
from torch.utils.data import DataLoader, Dataset

logger = logging.getLogger(__name__)
MODEL_REGISTRY: Dict[str, Callable[..., nn.Module]] = {{}}


def register_model(fn: Callable[..., nn.Module]) -> Callable[..., nn.Module]:
    MODEL_REGISTRY[fn.__name__] = fn
    return fn


def seed_everything(seed: int = 42) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.cuda.manual_seed_all(seed)


@dataclass
class TrainConfig:
    model: str = "{first_model}"
    epochs: int = 30
    batch_size: int = 64
    lr: float = 3e-4
    weight_decay: float = 0.05
    warmup_epochs: int = 3
    grad_accum: int = 1
    amp: bool = True
    num_workers: int = 4
    output_dir: str = "runs"
    extra: Dict[str, float] = field(default_factory=dict)
'''

FAMILY = '''

# ---------------------------------------------------------------------------------------------
# {Name}: {depth} stages, {norm_name} normalisation, {act_name} activations
# ---------------------------------------------------------------------------------------------

class {Name}ConvBlock(nn.Module):
    """Conv -> norm -> activation, with an optional squeeze-excitation gate."""

    def __init__(self, in_ch: int, out_ch: int, stride: int = 1, se_ratio: float = {se}):
        super().__init__()
        self.conv = nn.Conv2d(in_ch, out_ch, kernel_size=3, stride=stride, padding=1, bias=False)
        self.norm = {norm}
        self.act = nn.{act}()
        hidden = max(8, int(out_ch * se_ratio))
        self.se = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Conv2d(out_ch, hidden, 1), nn.{act}(),
                                nn.Conv2d(hidden, out_ch, 1), nn.Sigmoid()) if se_ratio > 0 else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.act(self.norm(self.conv(x)))
        if self.se is not None:
            x = x * self.se(x)
        return x


class {Name}Stage(nn.Module):
    def __init__(self, in_ch: int, out_ch: int, blocks: int, stride: int, drop_path: float = 0.0):
        super().__init__()
        layers = [{Name}ConvBlock(in_ch, out_ch, stride)]
        for _ in range(blocks - 1):
            layers.append({Name}ConvBlock(out_ch, out_ch))
        self.blocks = nn.Sequential(*layers)
        self.shortcut = nn.Identity() if in_ch == out_ch and stride == 1 else nn.Sequential(
            nn.Conv2d(in_ch, out_ch, 1, stride=stride, bias=False), nn.BatchNorm2d(out_ch))
        self.drop_path = drop_path

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.blocks(x)
        if self.training and self.drop_path > 0:
            keep = torch.rand(out.shape[0], 1, 1, 1, device=out.device) >= self.drop_path
            out = out * keep / (1 - self.drop_path)
        return out + self.shortcut(x)


class {Name}(nn.Module):
    def __init__(self, num_classes: int = 1000, widths: Tuple[int, ...] = {widths},
                 depths: Tuple[int, ...] = {depths}, dropout: float = {dropout}):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, widths[0], 3, stride=2, padding=1, bias=False),
                                  nn.BatchNorm2d(widths[0]), nn.{act}())
        stages, in_ch = [], widths[0]
        for i, (width, depth) in enumerate(zip(widths, depths)):
            stages.append({Name}Stage(in_ch, width, depth, stride=1 if i == 0 else 2,
                                      drop_path=0.1 * i / max(1, len(widths) - 1)))
            in_ch = width
        self.stages = nn.Sequential(*stages)
        self.head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(dropout),
                                  nn.Linear(in_ch, num_classes))
        self.apply(self._init_weights)

    @staticmethod
    def _init_weights(module: nn.Module) -> None:
        if isinstance(module, nn.Conv2d):
            nn.init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")
        elif isinstance(module, nn.Linear):
            nn.init.trunc_normal_(module.weight, std=0.02)
            nn.init.zeros_(module.bias)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        return self.stages(self.stem(x))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.forward_features(x))


@register_model
def {lname}_small(pretrained: bool = False, **kwargs) -> {Name}:
    return {Name}(widths=({w0}, {w1}, {w2}), depths=(1, 2, 2), **kwargs)


@register_model
def {lname}_base(pretrained: bool = False, **kwargs) -> {Name}:
    model = {Name}(widths=({w1}, {w2}, {w3}), depths=(2, 3, 4), **kwargs)
    if pretrained:
        state = torch.load(os.path.join("checkpoints", "{lname}_base.pt"), map_location="cpu")
        model.load_state_dict(state["model"])
    return model


class {Name}Images(Dataset):
    """Images stored as a uint8 array with integer labels, augmented on the fly."""

    def __init__(self, images: np.ndarray, labels: np.ndarray, train: bool = True, crop: int = {crop}):
        self.images = images
        self.labels = labels
        self.train = train
        self.crop = crop
        self.mean = np.array([0.485, 0.456, 0.406], dtype=np.float32)
        self.std = np.array([0.229, 0.224, 0.225], dtype=np.float32)

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, index: int) -> Tuple[torch.Tensor, int]:
        image = self.images[index].astype(np.float32) / 255.0
        if self.train and random.random() < 0.5:
            image = image[:, ::-1]
        top = (image.shape[0] - self.crop) // 2
        image = image[top:top + self.crop, top:top + self.crop]
        image = (image - self.mean) / self.std
        return torch.from_numpy(np.ascontiguousarray(image.transpose(2, 0, 1))), int(self.labels[index])


def build_{lname}_optimizer(model: nn.Module, cfg: TrainConfig) -> torch.optim.Optimizer:
    decay, no_decay = [], []
    for name, param in model.named_parameters():
        if not param.requires_grad:
            continue
        (no_decay if param.ndim <= 1 or name.endswith(".bias") else decay).append(param)
    groups = [{{"params": decay, "weight_decay": cfg.weight_decay}}, {{"params": no_decay, "weight_decay": 0.0}}]
    return {optimizer}


def {lname}_lr_at(epoch: int, cfg: TrainConfig) -> float:
    if epoch < cfg.warmup_epochs:
        return cfg.lr * (epoch + 1) / cfg.warmup_epochs
    progress = (epoch - cfg.warmup_epochs) / max(1, cfg.epochs - cfg.warmup_epochs)
    return 0.5 * cfg.lr * (1 + math.cos(math.pi * progress))


def train_{lname}_epoch(model: nn.Module, loader: DataLoader, optimizer: torch.optim.Optimizer,
                       scaler: torch.cuda.amp.GradScaler, device: torch.device, cfg: TrainConfig) -> float:
    model.train()
    total, seen = 0.0, 0
    optimizer.zero_grad(set_to_none=True)
    for step, (images, targets) in enumerate(loader):
        images, targets = images.to(device, non_blocking=True), targets.to(device, non_blocking=True)
        with torch.autocast(device_type=device.type, enabled=cfg.amp):
            logits = model(images)
            loss = F.cross_entropy(logits, targets, label_smoothing={smoothing})
        scaler.scale(loss / cfg.grad_accum).backward()
        if (step + 1) % cfg.grad_accum == 0:
            scaler.unscale_(optimizer)
            nn.utils.clip_grad_norm_(model.parameters(), {clip})
            scaler.step(optimizer)
            scaler.update()
            optimizer.zero_grad(set_to_none=True)
        total += loss.item() * images.size(0)
        seen += images.size(0)
    return total / max(1, seen)


{evaluate}


def {lname}_metrics(probabilities: np.ndarray, labels: np.ndarray) -> Dict[str, float]:
    predictions = probabilities.argmax(axis=1)
    scores = {{"accuracy": float((predictions == labels).mean()),
              "macro_f1": float(f1_score(labels, predictions, average="macro"))}}
    if probabilities.shape[1] == 2:
        scores["auc"] = float(roc_auc_score(labels, probabilities[:, 1]))
    return scores


{tabular}
'''

EVALUATE_OK = '''@torch.no_grad()
def evaluate_{lname}(model: nn.Module, loader: DataLoader, device: torch.device) -> Dict[str, float]:
    model.eval()
    outputs, labels = [], []
    for images, targets in loader:
        logits = model(images.to(device))
        outputs.append(F.softmax(logits.float(), dim=1).cpu().numpy())
        labels.append(targets.numpy())
    return {lname}_metrics(np.concatenate(outputs), np.concatenate(labels))'''

# a real-project mistake: evaluation that builds the autograd graph for every batch
EVALUATE_GRAPH = '''def evaluate_{lname}(model: nn.Module, loader: DataLoader,
                   device: torch.device) -> Dict[str, float]:
    model.eval()
    outputs, labels = [], []
    for images, targets in loader:
        logits = model(images.to(device))
        outputs.append(F.softmax(logits.float(), dim=1).detach().cpu().numpy())
        labels.append(targets.numpy())
    return {lname}_metrics(np.concatenate(outputs), np.concatenate(labels))'''

TABULAR = '''def {lname}_tabular_baseline(features: np.ndarray, target: np.ndarray,
                             seed: int = 0) -> Dict[str, float]:
{prepare}
    head = nn.Linear(features.shape[1], int(target.max()) + 1)
    optimizer = torch.optim.Adam(head.parameters(), lr=1e-2)
    inputs = torch.tensor({train_rows}, dtype=torch.float32)
    labels = torch.tensor(y_train)
    for _ in range(200):
        optimizer.zero_grad()
        loss = F.cross_entropy(head(inputs), labels)
        loss.backward()
        optimizer.step()
    with torch.no_grad():
        probabilities = F.softmax(head(torch.tensor({test_rows}, dtype=torch.float32)), dim=1)
    return {lname}_metrics(probabilities.numpy(), y_test)'''
TABULAR_OK = dict(prepare='''    x_train, x_test, y_train, y_test = train_test_split(
        features, target, test_size=0.25, random_state=seed, stratify=target)
    scaler = StandardScaler().fit(x_train)''',
                  train_rows="scaler.transform(x_train)", test_rows="scaler.transform(x_test)")
# a real-project mistake: the scaler sees the test rows before the split
TABULAR_LEAK = dict(prepare='''    scaled = StandardScaler().fit_transform(features)
    x_train, x_test, y_train, y_test = train_test_split(scaled, target, test_size=0.25,
                                                        random_state=seed)''',
                    train_rows="x_train", test_rows="x_test")

FOOTER = '''

def build_loaders(cfg: TrainConfig, images: np.ndarray, labels: np.ndarray,
                  dataset_cls: type = {first}Images) -> Tuple[DataLoader, DataLoader]:
    order = np.random.default_rng(0).permutation(len(labels))
    cut = int(0.9 * len(order))
    train_set = dataset_cls(images[order[:cut]], labels[order[:cut]], train=True)
    val_set = dataset_cls(images[order[cut:]], labels[order[cut:]], train=False)
    generator = torch.Generator().manual_seed(0)
    train_loader = DataLoader(train_set, batch_size=cfg.batch_size, shuffle=True, generator=generator,
                              num_workers=cfg.num_workers, pin_memory=True, drop_last=True)
    val_loader = DataLoader(val_set, batch_size=cfg.batch_size * 2, num_workers=cfg.num_workers)
    return train_loader, val_loader


def main(argv: Optional[List[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", default=TrainConfig.model, choices=sorted(MODEL_REGISTRY))
    parser.add_argument("--data", required=True, help="an .npz file with `images` and `labels`")
    parser.add_argument("--epochs", type=int, default=TrainConfig.epochs)
    parser.add_argument("--lr", type=float, default=TrainConfig.lr)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args(argv)
    seed_everything(args.seed)
    cfg = TrainConfig(model=args.model, epochs=args.epochs, lr=args.lr)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    data = np.load(args.data)
    train_loader, val_loader = build_loaders(cfg, data["images"], data["labels"])
    model = MODEL_REGISTRY[cfg.model](num_classes=int(data["labels"].max()) + 1).to(device)
    optimizer = build_{first_l}_optimizer(model, cfg)
    scaler = torch.cuda.amp.GradScaler(enabled=cfg.amp)
    best = 0.0
    os.makedirs(cfg.output_dir, exist_ok=True)
    for epoch in range(cfg.epochs):
        for group in optimizer.param_groups:
            group["lr"] = {first_l}_lr_at(epoch, cfg)
        started = time.time()
        loss = train_{first_l}_epoch(model, train_loader, optimizer, scaler, device, cfg)
        scores = evaluate_{first_l}(model, val_loader, device)
        logger.info("epoch %d loss %.4f %s (%.0fs)", epoch, loss, json.dumps(scores), time.time() - started)
        if scores["accuracy"] > best:
            best = scores["accuracy"]
            torch.save({{"model": model.state_dict(), "epoch": epoch}}, os.path.join(cfg.output_dir, "best.pt"))


if __name__ == "__main__":
    main()
'''

ANIMALS = ["Heron", "Lynx", "Otter", "Falcon", "Badger", "Gecko", "Marten", "Ibis", "Tapir", "Okapi",
           "Pika", "Quokka", "Serval", "Tern", "Vole", "Wren", "Yak", "Zebu", "Coati", "Dingo"]
NORMS = [("batch", "nn.BatchNorm2d(out_ch)"), ("group", "nn.GroupNorm(8, out_ch)"),
         ("instance", "nn.InstanceNorm2d(out_ch, affine=True)")]
ACTS = ["ReLU", "GELU", "SiLU", "Hardswish"]
OPTIMIZERS = [
    "torch.optim.AdamW(groups, lr=cfg.lr, betas=(0.9, 0.999))",
    "torch.optim.SGD(groups, lr=cfg.lr, momentum=0.9, nesterov=True)",
    "torch.optim.RMSprop(groups, lr=cfg.lr, alpha=0.9, eps=1e-3)",
]


def family(i: int) -> str:
    animal = ANIMALS[i % len(ANIMALS)]
    name = f"{animal}Net{i // len(ANIMALS) + 1}" if i >= len(ANIMALS) else f"{animal}Net"
    norm_name, norm = NORMS[i % len(NORMS)]
    act = ACTS[(i // 2) % len(ACTS)]
    base = 16 * (1 + i % 4)
    widths = (base, base * 2, base * 4, base * 8)
    depth = 3 + i % 2
    lname = name.lower()
    evaluate = (EVALUATE_GRAPH if i % 7 == 3 else EVALUATE_OK).format(lname=lname)
    tabular = TABULAR.format(lname=lname, **(TABULAR_LEAK if i % 9 == 5 else TABULAR_OK))
    return FAMILY.format(
        Name=name, lname=lname, depth=depth, norm_name=norm_name, norm=norm, act=act, act_name=act,
        se=[0.0, 0.25, 0.125][i % 3], widths=widths[:depth], depths=(1, 2, 3, 2)[:depth],
        dropout=[0.0, 0.1, 0.2, 0.3][i % 4], w0=widths[0], w1=widths[1], w2=widths[2], w3=widths[3],
        crop=[224, 192, 160, 256][i % 4], optimizer=OPTIMIZERS[i % len(OPTIMIZERS)],
        smoothing=[0.0, 0.1][i % 2], clip=[1.0, 5.0, 0.5][i % 3], evaluate=evaluate, tabular=tabular)


def ml_module(lines: int = 5000) -> str:
    """A training module of ``lines`` lines or a little more (whole families are added)."""
    name0 = f"{ANIMALS[0]}Net"
    head = HEADER.format(first_model=f"{name0.lower()}_small")
    foot = FOOTER.format(first=name0, first_l=name0.lower())
    parts, count, i = [head], head.count("\n") + foot.count("\n"), 0
    while count < lines:
        block = family(i)
        parts.append(block)
        count += block.count("\n")
        i += 1
    parts.append(foot)
    return "".join(parts)


if __name__ == "__main__":
    print(ml_module(), end="")
