"""A project's own helpers (RuleSettings.seed_functions / logging_functions) through the engine."""
from __future__ import annotations

import textwrap

from flake8_dlpractice.engine import check_source
from flake8_dlpractice.settings import RuleSettings


def found(source: str, settings: RuleSettings = RuleSettings(), opt_in=()) -> set[tuple[int, str]]:
    return {(f.line, f.code) for f in check_source(textwrap.dedent(source), "t.py", opt_in, settings=settings)}


TEAM_SEEDED = """\
    import numpy as np
    import torch
    from torch import nn
    from torch.utils.data import DataLoader
    from labtools import prepare_run

    prepare_run(7)
    weights = np.random.normal(size=(8, 8))
    loader = DataLoader(np.load("bands.npy"), batch_size=8, shuffle=True)
    net = nn.Sequential(nn.Conv1d(1, 4, 3), nn.Flatten(), nn.LazyLinear(1)).cuda()
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    for bands in loader:
        opt.zero_grad()
        loss = net(bands.cuda()).pow(2).mean()
        loss.backward()
        opt.step()
        print(f"loss {loss.item():.3f}")
    print(f"val loss {evaluate(net, val_bands)}")
    """


def test_an_unknown_helper_is_an_opaque_seed_a_configured_one_seeds_every_rng():
    # without settings: prepare_run() is not a seed helper by name, so nothing is seeded
    assert found(TEAM_SEEDED) == {(1, "DLP200")}
    team = RuleSettings(seed_functions=("prepare_run",))
    # configured: every RNG counts as seeded (no DLP200/202); torch is seeded, so the shuffling
    # loader is DLP204's; DLP201 assumes the team helper sets determinism itself
    assert found(TEAM_SEEDED, team, opt_in={"DLP204"}) == {(9, "DLP204")}
    assert found(TEAM_SEEDED, RuleSettings(seed_functions=("labtools.prepare_run",)), {"DLP204"}) == {(9, "DLP204")}
    assert found(TEAM_SEEDED, RuleSettings(seed_functions=("other.prepare_run",))) == {(1, "DLP200")}


def test_a_configured_seed_helper_still_reports_benchmark_true():
    source = TEAM_SEEDED.replace("prepare_run(7)\n", "prepare_run(7)\n    torch.backends.cudnn.benchmark = True\n")
    assert (8, "DLP201") in found(source, RuleSettings(seed_functions=("prepare_run",)))


TEAM_LOGGED = """\
    import pandas as pd
    import torch
    from torch.utils.tensorboard import SummaryWriter
    from labtools import ship

    torch.manual_seed(0)
    frame = pd.read_csv("yield.csv")
    writer = SummaryWriter("runs/yield")
    model = torch.nn.Linear(4, 1)
    opt = torch.optim.Adam(model.parameters())
    for epoch in range(20):
        for x, y in batches(frame):
            opt.zero_grad()
            loss = torch.nn.functional.mse_loss(model(x), y)
            loss.backward()
            opt.step()
            ship(epoch, loss.item())
        print("validation", evaluate(model, val_batches(frame)))
    """


def test_a_configured_logging_helper_records_metrics_and_the_run():
    assert found(TEAM_LOGGED, opt_in={"DLP403"}) == {(8, "DLP403"), (12, "DLP400")}
    team = RuleSettings(logging_functions=("ship",))
    assert found(TEAM_LOGGED, team, opt_in={"DLP403"}) == set()
    assert found(TEAM_LOGGED, RuleSettings(logging_functions=("labtools.ship",)), {"DLP403"}) == set()
