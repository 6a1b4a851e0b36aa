"""Training loops of a module grouped for the monitoring rules, and where the module's data comes from.

Shared by the DLP4xx rules and DLP503 (``facts.derived(TrainingUnits)``): which loops train, which
are demos on generated data, and whether the module shows that it trains on real data at all.

*Real data* is data the module itself loads: a dataset library (``torchvision.datasets``, Hugging
Face ``load_dataset``, ``keras.datasets``), a file reader (``pd.read_csv``, ``np.load``,
``Image.open``, ``open()``), a directory listing. (``torch.load`` mostly loads weights and does
not count.) A module whose data comes only
from random tensors, demo datasets or a sibling module (``from data import MyDataset``) cannot show
that its runs are real experiments: monitoring advice does not apply to it.
"""
from __future__ import annotations

import ast

from .facts import ModuleFacts
from .records import CallSite, FunctionInfo, LoopInfo, is_data_loop, is_optimizer_step, trains_directly
from .names import last_part
from .nodes import walk

RANDOM_DATA = frozenset({"torch.randn", "torch.rand", "torch.randint", "numpy.random.randn",
                         "numpy.random.rand", "numpy.random.randint", "torch.normal"})
SYNTHETIC_PREFIXES = ("random", "fake", "dummy", "synthetic", "toy")
SYNTHETIC_SUFFIXES = ("dataset", "data", "loader", "datamodule", "batch", "batches", "inputs")
DATA_SOURCES = (
    "torchvision.datasets.", "torchaudio.datasets.", "torchtext.datasets.", "torch_geometric.datasets.",
    "tensorflow_datasets.", "keras.datasets.", "datasets.load_dataset", "datasets.load_from_disk",
    "sklearn.datasets.load_", "sklearn.datasets.fetch_", "pandas.read_", "polars.read_", "dask.dataframe.read_",
    "numpy.load", "numpy.genfromtxt", "numpy.fromfile", "h5py.File", "scipy.io.loadmat",
    "PIL.Image.open", "cv2.imread", "cv2.VideoCapture", "imageio.", "skimage.io.imread", "librosa.load",
    "soundfile.read", "torchaudio.load", "torchvision.io.read_", "keras.utils.image_dataset_from_directory",
    "keras.utils.text_dataset_from_directory", "keras.utils.audio_dataset_from_directory",
    "keras.preprocessing.image_dataset_from_directory", "keras.preprocessing.text_dataset_from_directory",
    "keras.utils.get_file", "tensorflow.data.TFRecordDataset", "tensorflow.data.TextLineDataset",
    "tensorflow.io.read_file", "json.load", "pickle.load", "glob.", "os.listdir", "os.walk",
    "os.scandir", "urllib.request.urlretrieve", "requests.get", "gdown.download", "kagglehub.",
)
NOT_DATA_SOURCES = ("torchvision.datasets.FakeData", "sklearn.datasets.make_")
DATA_METHODS = frozenset({"flow_from_directory", "flow_from_dataframe", "read_csv", "read_parquet", "read_excel",
                          "read_json", "read_table", "load_data", "load_dataset", "glob", "rglob", "iterdir",
                          "read_text", "read_bytes"})


def real_data_source(facts: ModuleFacts) -> CallSite | None:
    """The first call that loads data from outside the program (a file, a dataset library)."""
    for site in facts.calls:
        qn = site.qn
        if qn is not None:
            if qn.startswith(DATA_SOURCES) and not qn.startswith(NOT_DATA_SOURCES):
                return site
        elif site.method in DATA_METHODS or (
                isinstance(site.node.func, ast.Name) and site.node.func.id == "open"):
            return site
    return None


def is_test_code(info: FunctionInfo | None) -> bool:
    """Unit tests and benchmarks exercise training code; they are not training runs."""
    if info is None:
        return False
    return info.name.lower().startswith(("test", "bench")) or (info.class_name or "").startswith("Test")


class TrainingUnits:
    """Training loops of a module, grouped the way the monitoring rules need them.

    - *step loops*: the innermost loops that train themselves (they contain ``backward()`` /
      ``optimizer.step()``, directly or through a same-file step function without a loop of its
      own); this is where the loss is computed and where it should be recorded or clipped.
    - *top loops*: the outermost training loops of a scope whose function is not itself called
      from inside a training loop (the epoch loop, or a step loop that runs on its own).
    """

    def __init__(self, facts: ModuleFacts) -> None:
        """Use through ``facts.derived(TrainingUnits)``."""
        self.facts = facts
        self.step_loops: list[LoopInfo] = []
        self.top_loops: list[LoopInfo] = []
        self.synthetic_module: CallSite | None = None
        self.real_data = real_data_source(facts)
        if not any(loop.trains for loop in facts.loops):
            self.loop_funcs: set[int] = set()
            self.helpers: set[int] = set()
            self.data_funcs: set[int] = set()
            return
        loop_funcs = facts.derived(loop_trainers)
        self.loop_funcs = loop_funcs
        has_training_child: set[int] = set()
        for loop in facts.loops:
            if loop.trains:
                parent = loop.parent
                while parent is not None:
                    has_training_child.add(id(parent))
                    parent = parent.parent
        # loops with a data loop nested inside (found through parent links: linear in the loops)
        self._around_data_loops: set[int] = set()
        for other in facts.loops:
            if is_data_loop(other):
                parent = other.parent
                while parent is not None and id(parent) not in self._around_data_loops:
                    self._around_data_loops.add(id(parent))
                    parent = parent.parent
        self.data_funcs = {id(f) for f in facts.functions if any(is_data_loop(lp) for lp in f.loops)}
        self.synthetic_module = synthetic_module(facts)
        self.step_loops = []
        smoke_tops: dict[int, bool] = {}  # top loop -> every innermost training loop in it stops early
        for loop in facts.loops:
            if not loop.trains or id(loop) in has_training_child or is_test_code(loop.scope):
                continue
            smoke = stops_early(loop)
            top = id(outer_training(loop))
            smoke_tops[top] = smoke_tops.get(top, True) and smoke
            if smoke or self.synthetic(loop):
                continue
            if any(trains_directly(c) or (c.local is not None and c.local.trains
                                          and id(c.local) not in loop_funcs) for c in loop.calls):
                self.step_loops.append(loop)
        # functions reachable from inside a training loop (helpers of a driver loop)
        helpers: set[int] = set()
        work = [c.local for loop in facts.loops if loop.trains for c in loop.calls
                if c.local is not None]
        while work:
            f = work.pop()
            if id(f) in helpers:
                continue
            helpers.add(id(f))
            work.extend(c.local for c in f.calls if c.local is not None)
        self.helpers = helpers
        self.top_loops = []
        for loop in facts.loops:
            if not loop.trains or is_test_code(loop.scope):
                continue
            if outer_training(loop) is not loop or smoke_tops.get(id(loop)):
                continue
            if loop.scope is not None and id(loop.scope) in helpers:
                continue
            if self.synthetic(loop):
                continue
            self.top_loops.append(loop)

    def synthetic(self, loop: LoopInfo) -> bool:
        """A demo or benchmark loop that trains on random tensors made in the loop (no data)."""
        if self.synthetic_module:
            return True
        if is_data_loop(loop):
            return False
        if id(loop) in self._around_data_loops:
            return False
        sites = list(loop.calls)
        node = loop.node
        if isinstance(node, (ast.For, ast.AsyncFor)) and isinstance(node.iter, ast.Call):
            gen = self.facts.resolve_local(node.iter.func, loop.scope)
            if gen is not None:
                sites.extend(gen.calls)
        for site in list(sites):
            if site.local is not None and id(site.local) in self.data_funcs:
                return False
            if site.local is not None and not site.local.trains:
                sites.extend(site.local.calls)  # get_batch() drawing random tensors
        return any(_random_data(site) for site in sites)

    def multi_model(self, loop: LoopInfo) -> bool:
        """GANs, actor-critic: several optimizers stepped in one loop (no validation split)."""
        names = set()
        for site in loop.calls:
            if is_optimizer_step(site):
                names.add(site.name)
            elif site.local is not None:
                names.update(c.name for c in site.local.calls if is_optimizer_step(c))
        return len(names) >= 2


SMOKE_STEPS = 10  # a loop that stops after at most this many batches times or tries the code


def stops_early(loop: LoopInfo) -> bool:
    """A benchmark or smoke loop, not a training run: its body breaks unconditionally (one batch)
    or once a counter it binds reaches a small constant (``if ii == 3: break`` over
    ``enumerate(loader)``, at most ``SMOKE_STEPS`` batches)."""
    node = loop.node
    if not isinstance(node, (ast.For, ast.AsyncFor)):
        return False
    counters = {n.id for n in walk(node.target) if isinstance(n, ast.Name)}
    for stmt in node.body:
        if isinstance(stmt, ast.Break):
            return True
        if isinstance(stmt, ast.If) and any(isinstance(s, ast.Break) for s in stmt.body) \
                and _counter_reaches(stmt.test, counters):
            return True
    return False


def _counter_reaches(test: ast.expr, counters: set[str]) -> bool:
    """``i == 3``, ``i >= 3``, ``i > 2`` (and mirrored) with ``i`` a loop variable and a small bound."""
    if not isinstance(test, ast.Compare) or len(test.ops) != 1:
        return False
    left, right, op = test.left, test.comparators[0], type(test.ops[0])
    if isinstance(left, ast.Constant):
        left, right = right, left
        op = {ast.Lt: ast.Gt, ast.LtE: ast.GtE}.get(op, op)
    if not (isinstance(left, ast.Name) and left.id in counters and isinstance(right, ast.Constant)):
        return False
    bound = right.value
    return isinstance(bound, int) and not isinstance(bound, bool) and op in (ast.Eq, ast.GtE, ast.Gt) \
        and 0 <= bound <= SMOKE_STEPS


def _random_data(site: CallSite) -> bool:
    return site.qn in RANDOM_DATA or (site.method in ("random_", "normal_", "uniform_")
                                      and site.qn is None and not site.node.args[1:])


def synthetic_module(facts: ModuleFacts) -> CallSite | None:
    """The module trains on generated data (``RandomDataset``, ``FakeData``, a demo)."""
    for site in facts.calls:
        short = last_part(site.qn or site.name or "").lower()
        if short.startswith(SYNTHETIC_PREFIXES) and short.endswith(SYNTHETIC_SUFFIXES):
            return site
    return None


def loop_trainers(facts: ModuleFacts) -> set[int]:
    """Same-file functions that run a training loop (directly or through their callees).
    Use through ``facts.derived(loop_trainers)``."""
    out = {id(f) for f in facts.functions if any(lp.trains for lp in f.loops)}
    changed = True
    while changed:
        changed = False
        for f in facts.functions:
            if id(f) not in out and any(c.local is not None and id(c.local) in out for c in f.calls):
                out.add(id(f))
                changed = True
    return out


def outer_training(loop: LoopInfo) -> LoopInfo:
    """The outermost training loop around ``loop`` (``loop`` itself when none encloses it)."""
    top = loop
    parent = loop.parent
    while parent is not None:
        if parent.trains:
            top = parent
        parent = parent.parent
    return top
