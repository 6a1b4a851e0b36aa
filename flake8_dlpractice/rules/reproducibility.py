"""Reproducibility: seeds and deterministic settings (DLP2xx)."""
from __future__ import annotations

import ast
from typing import Iterator

from ..analysis.called import called_names
from ..analysis.facts import ModuleFacts
from ..analysis.records import CallSite, FunctionInfo
from ..analysis.vocabulary import is_no_grad_context
from ..analysis.display import shown_only
from ..analysis.randomness import (COVERED_BY, LOADERS, RANDOM_SPLIT, TORCH_ROOTS, ModuleImports, Randomness,
                                   counted_uses, counted_uses_of, may_use_randomness, module_imports,
                                   randomness_of, seed_argument)
from ..analysis.names import last_part
from ..analysis.nodes import walk
from ..analysis.reach import running_calls
from ..analysis.seeds import SEED_CALLS, TORCH_KINDS, SeedCall, Seeds, cudnn_layer, seeds_of
from .base import Finding, Fix, Rule, fitting, line_ref, span_of


class CudnnNondeterministic(Rule):
    """
    ## What it does
    In a module that seeds PyTorch (`torch.manual_seed`, `seed_everything`, `transformers.set_seed`
    or a same-file helper calling them) and builds layers whose GPU kernels come from cuDNN
    (convolutions, `nn.LSTM`/`GRU`/`RNN`, a torchvision or timm CNN), flags the first torch seed
    call when cuDNN is never made deterministic (`torch.backends.cudnn.deterministic = True`, or
    `torch.use_deterministic_algorithms(True)`, Lightning `Trainer(deterministic=True)`), and
    flags any `torch.backends.cudnn.benchmark = True`. Only code that runs counts: a seed in a
    function nobody calls does not, and neither does a per-worker `torch.manual_seed` in a
    function passed as `worker_init_fn=` (PyTorch's own recipe, see DLP204).

    ## Why is this bad?
    The guide's *Reproducibility* section: seeding is not enough on a GPU. cuDNN picks
    convolution algorithms, some of them non-deterministic, and with `benchmark = True` it picks
    them by timing, so two runs with the same seed still differ. The module asked for
    reproducible runs by seeding; without these settings it does not get them, and
    *Debugging Neural Networks* (fix seeds to tell code changes from noise) fails silently.

    ## Example
    ```python
    torch.manual_seed(0)
    torch.backends.cudnn.benchmark = True
    net = nn.Sequential(nn.Conv2d(3, 16, 3), nn.ReLU()).cuda()
    ```

    ## Use instead
    ```python
    torch.manual_seed(0)
    torch.backends.cudnn.deterministic = True
    torch.backends.cudnn.benchmark = False
    net = nn.Sequential(nn.Conv2d(3, 16, 3), nn.ReLU()).cuda()
    ```

    ## Fix
    Safe: `dlp-fix` inserts `torch.backends.cudnn.deterministic = True` and
    `torch.backends.cudnn.benchmark = False` after the last seed call. Turning an explicit
    `benchmark = True` into `False` trades speed for determinism and is unsafe
    (`--unsafe-fixes`).

    ## Known limits
    Not flagged, because cuDNN's kernel choice does not change the results there: modules whose
    layers are all matrix multiplications (transformers, MLPs: they run on cuBLAS), models whose
    architecture is not visible in the module (imported from a sibling file), inference-only
    scripts (nothing trains and the model is evaluated: autotuned kernels are the right choice),
    and modules that cannot reach a GPU (no `.cuda()`, no "cuda" device, no
    `torch.cuda`/`torch.backends.cudnn`, no Lightning/Accelerate/Hugging Face). Hugging Face
    scripts that parse `TrainingArguments` are not flagged: `--full_determinism` switches
    determinism on at run time. Settings made in another module (a shared `utils.seed_all()`) are
    not seen; a project's own seed helper named in `seed-functions` counts as seeding torch (so
    `benchmark = True` next to it is reported) but is assumed to set determinism itself. When
    `benchmark = True` is set, only that line is reported. A `benchmark` value computed at run
    time (`cudnn.benchmark = not args.deterministic`) is not flagged. A module that passes
    Lightning `Trainer(deterministic=False)` explicitly has decided against determinism (speed
    over bit-identical runs) and is not flagged at all.
    """

    code, name = "DLP201", "cudnn-nondeterministic"
    summary = "torch is seeded but cuDNN may still choose non-deterministic kernels"
    section = "Reproducibility: use deterministic settings"
    fix = "safe/unsafe"
    fix_note = "safe: insert deterministic/benchmark settings; unsafe: flip benchmark = True"

    def check(self, facts: ModuleFacts) -> Iterator[Finding]:
        if not _may_seed_torch(facts):
            return  # decided on the calls alone, before which code runs and its seeds are worked out
        seeds = facts.derived(seeds_of)
        rnd = facts.derived(randomness_of)
        # per-worker seeds (PyTorch's recipe for DLP204) and generator seeds do not ask for
        # reproducible GPU kernels
        torch_seeds = [s for s in seeds.calls if s.kinds & TORCH_KINDS and id(s.site.scope) not in rnd.worker_init]
        if not torch_seeds or seeds.nondeterministic or (not rnd.trains_torch and _inference_only(facts)):
            return
        layer = cudnn_layer(facts)
        if layer is None or not gpu_reachable(facts):
            return
        first = min(torch_seeds, key=lambda s: (s.call.line, s.call.node.col_offset))
        for store in seeds.benchmark_true:
            yield self.finding(store.stmt, f"cudnn.benchmark = True picks kernels by timing: runs seeded at "
                               f"{line_ref(first.call.line, _called(first.call))} still differ",
                               fix=Fix("unsafe", "replace-expression", span_of(store.value),
                                       (("replacement", "False"),), title="set cudnn.benchmark = False"))
        if seeds.deterministic or seeds.benchmark_true or _runtime_determinism(facts):
            return
        if all(s.team for s in torch_seeds):
            return  # a project's own seed helper: whether it also sets determinism is not seen
        layer_ref = line_ref(layer.line, last_part(_called(layer)))
        yield self.finding(first.call.node, fitting(
            f"torch is seeded, but cuDNN may pick non-deterministic kernels for {_called(layer)} ({layer_ref})",
            f"torch is seeded, but cuDNN may pick non-deterministic kernels for {last_part(_called(layer))} "
            f"({layer_ref})"), fix=self._fix(facts, seeds, first))

    @staticmethod
    def _fix(facts: ModuleFacts, seeds: Seeds, first: SeedCall) -> Fix | None:
        scope = first.call.scope
        same_scope = [c.call for c in seeds.calls if c.kinds & TORCH_KINDS and c.call.scope is scope
                      and not c.call.loops]
        if not same_scope:
            return None
        last = max(same_scope, key=lambda c: (c.line, c.node.col_offset))
        anchor = last.stmt
        if not (isinstance(anchor, ast.Expr) and anchor.value is last.node):
            return None
        code = "torch.backends.cudnn.deterministic = True"
        if not any(store.target == "torch.backends.cudnn.benchmark" for store in facts.stores):
            code += "\ntorch.backends.cudnn.benchmark = False"
        return Fix("safe", "insert-after", span_of(anchor), (("code", code), ("imports", "torch")),
                   title="make cuDNN deterministic after the seed")


def _inference_only(facts: ModuleFacts) -> bool:
    """Nothing trains and models are evaluated (``model.eval()``, ``no_grad``, a TorchScript load):
    autotuned kernels are the right choice there, and results do not feed back into weights."""
    return any(site.in_no_grad or (site.method == "eval" and not site.node.args) or site.qn == "torch.jit.load"
               or is_no_grad_context(site.qn, site.node) for site in facts.calls)


def _called(site: CallSite) -> str:
    """How a call is spelled (``torch.manual_seed``, ``nn.Conv2d``), for messages and references."""
    return site.name or last_part(site.qn) or "call"


_GPU_FRAMEWORKS = frozenset({"lightning", "pytorch_lightning", "accelerate", "transformers", "timm",
                             "deepspeed", "apex"})


def gpu_reachable(facts: ModuleFacts) -> bool:
    """The module can run on a GPU (where cuDNN matters): ``.cuda()``, a "cuda" device
    (``torch.device("cuda")``, ``.to("cuda")``), ``torch.cuda`` / ``torch.backends.cudnn``, or a
    framework that places models on GPUs."""
    if facts.imports.roots & _GPU_FRAMEWORKS:
        return True
    for site in facts.calls:
        if site.method == "cuda" or (site.qn or "").startswith(("torch.cuda.", "torch.backends.cudnn")):
            return True
        if site.method == "to" or site.qn == "torch.device":
            for arg in site.node.args:
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str) and arg.value.startswith("cuda"):
                    return True
    for store in facts.stores:
        if store.target.startswith("torch.backends.cudnn"):
            return True
        value = store.value
        if isinstance(value, ast.Constant) and isinstance(value.value, str) and value.value.startswith("cuda"):
            return True
    return False


def _runtime_determinism(facts: ModuleFacts) -> bool:
    """Hugging Face scripts parse ``TrainingArguments``: ``--full_determinism`` is a run-time switch."""
    return any((c.qn or "").startswith("transformers.") and
               (last_part(c.qn).endswith("TrainingArguments") or last_part(c.qn) == "HfArgumentParser")
               for c in facts.calls)


# ---------------------------------------------------------------------------------------------
# DLP200, DLP202-DLP204: seeds (built on analysis/randomness.py)


SECTION_SEEDS = "Reproducibility: seed every random number generator"
_RNG_ORDER = ("torch", "tf", "keras", "numpy", "sklearn", "random")
_KIND_LABEL = {"torch": "PyTorch", "torch_cuda": "PyTorch (CUDA only)", "tf": "TensorFlow",
               "numpy": "NumPy", "random": "random"}
_SIMPLE_EXPR = (ast.Name, ast.Attribute, ast.Constant, ast.Subscript, ast.BinOp, ast.UnaryOp)


def _target_name(node: ast.expr) -> str | None:
    try:
        return ast.unparse(node) if isinstance(node, (ast.Name, ast.Attribute)) else None
    except Exception:  # noqa: BLE001
        return None


def _seed_text(arg: ast.expr | None) -> str | None:
    """Source text of a seed argument that can be evaluated again without side effects."""
    if arg is None:
        return None
    for sub in walk(arg):
        if not isinstance(sub, _SIMPLE_EXPR + (ast.expr_context, ast.operator, ast.unaryop, ast.Load)):
            return None
    if isinstance(arg, ast.Constant) and not isinstance(arg.value, int):
        return None
    try:
        return ast.unparse(arg)
    except Exception:  # noqa: BLE001 - odd nodes: no fix
        return None


def _seed_usable_at(imports: ModuleImports, seed: SeedCall, target: CallSite) -> str | None:
    """The seed call's argument, when the same text means the same value at ``target``."""
    site = seed.via or seed.site
    arg = seed_argument(site)
    text = _seed_text(arg)
    if text is None:
        return None
    if isinstance(arg, ast.Constant):
        return text
    same_scope = site.scope is target.scope and site.line <= target.line
    if same_scope:
        return text
    names = {sub.id for sub in walk(arg) if isinstance(sub, ast.Name)}
    params = set(target.scope.params) if target.scope is not None else set()
    if names and names <= imports.module_names and not names & params and site.scope is None:
        return text
    return None


def _module_seed(facts: ModuleFacts, target: CallSite, kinds: tuple[str, ...]) -> str | None:
    rnd = facts.derived(randomness_of)
    imports = facts.derived(module_imports)
    ordered = sorted(rnd.global_seeds, key=lambda s: (not (s.kinds & set(kinds)), s.call.line))
    for seed in ordered:
        text = _seed_usable_at(imports, seed, target)
        if text is not None:
            return text
    return None


def _seed_code(rnd: ModuleImports, rng: str, seed: str) -> tuple[str, str] | None:
    """(statement, imports) seeding ``rng`` with the module's own spellings, or None."""
    if rng == "torch":
        alias = rnd.alias_of("torch")
        if alias:
            return f"{alias}.manual_seed({seed})", ""
        return (f"torch.manual_seed({seed})", "torch") if rnd.name_free("torch") else None
    if rng in ("numpy", "sklearn"):
        alias = rnd.alias_of("numpy")
        if alias:
            return f"{alias}.random.seed({seed})", ""
        return (f"numpy.random.seed({seed})", "numpy") if rnd.name_free("numpy") else None
    if rng == "random":
        alias = rnd.alias_of("random")
        if alias:
            return f"{alias}.seed({seed})", ""
        return (f"random.seed({seed})", "random") if rnd.name_free("random") else None
    if rng == "keras":  # standalone Keras >= 2.7 and Keras 3
        alias = rnd.alias_of("keras")
        return (f"{alias}.utils.set_random_seed({seed})", "") if alias else None
    if rng == "tf":
        alias = rnd.alias_of("tensorflow")
        if alias:
            return f"{alias}.random.set_seed({seed})", ""
        alias = rnd.alias_of("keras") or rnd.alias_of("tensorflow.keras")
        if alias:
            return f"{alias}.utils.set_random_seed({seed})", ""
        return (f"tensorflow.random.set_seed({seed})", "tensorflow") if rnd.name_free("tensorflow") else None
    return None


def _seed_fix(rnd: ModuleImports, rngs: list[str], seed: str, anchor: ast.stmt, safety: str) -> Fix | None:
    lines: list[str] = []
    imports: list[str] = []
    for rng in rngs:
        if rng == "sklearn" and "numpy" in rngs:
            continue
        code = _seed_code(rnd, rng, seed)
        if code is None:
            return None
        if code[0] not in lines:
            lines.append(code[0])
        if code[1] and code[1] not in imports:
            imports.append(code[1])
    if not lines:
        return None
    data = [("code", "\n".join(lines))]
    if imports:
        data.append(("imports", ",".join(imports)))
    title = f"insert {'; '.join(lines)}" if len(lines) <= 2 else f"insert {lines[0]} and {len(lines) - 1} more seeds"
    return Fix(safety, "insert-after", span_of(anchor), tuple(data), title=title)


# The imports a DLP200 finding may sit on, per unseeded RNG: the framework's (its first import),
# and for scikit-learn estimators, which draw from NumPy's global RNG, NumPy's (the module the fix
# seeds), else scikit-learn's.
_SEEDED_MODULES = {"torch": TORCH_ROOTS, "tf": ("tensorflow", "keras", "tf_keras"),
                   "keras": ("tensorflow", "keras", "tf_keras"), "numpy": ("numpy",), "random": ("random",)}
_FALLBACK_MODULES = {"sklearn": ("numpy", "sklearn")}
_RNG_LABEL = {"torch": "PyTorch", "tf": "TensorFlow", "keras": "Keras", "numpy": "NumPy",
              "sklearn": "NumPy", "random": "random"}


def _labels(rngs: list[str]) -> list[str]:
    out: list[str] = []
    for rng in rngs:
        if _RNG_LABEL[rng] not in out:
            out.append(_RNG_LABEL[rng])
    return out


def _and(words: list[str]) -> str:
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"


def _import_line(imports: ModuleImports, rngs: list[str]) -> int | None:
    """The first import of a module whose RNG is to be seeded."""
    found = imports.import_lines
    lines = []
    for rng in rngs:
        if rng in _FALLBACK_MODULES:
            lines.extend(next(([found[r]] for r in _FALLBACK_MODULES[rng] if found.get(r)), []))
        else:
            lines.extend(found[r] for r in _SEEDED_MODULES[rng] if found.get(r))
    return min(lines) if lines else None


class MissingSeed(Rule):
    """
    ## What it does
    Flags a training entry point that uses random numbers and never seeds any random number
    generator. A module is a training entry point when it has a training loop (a loop calling
    `backward()` / `optimizer.step()`) or a fitting call (`model.fit`, `trainer.fit`, Hugging Face
    `trainer.train()`, `fit_transform`, scikit-learn's `cross_val_score`/`cross_validate`/
    `cross_val_predict`, which fit on every fold, ...) at module level, under `if __name__ == "__main__":`,
    or in a function or method of the file called from there (`main()`, `app.train()`). It uses
    randomness when it trains
    with PyTorch or TensorFlow/Keras, draws from `np.random.*`, `random.*`, `torch.rand*`,
    `tf.random.*`, or builds a scikit-learn estimator or data generator that draws from NumPy's
    global RNG (`RandomForestClassifier()`, `KMeans()`, `make_classification()` without
    `random_state`). A default `GradientBoostingClassifier`/`Regressor` (no `subsample` below 1,
    no `max_features`, no `n_iter_no_change`) and an `AdaBoostClassifier` with its default
    decision stumps, or with an explicit `DecisionTreeClassifier` base that tries every feature
    with the best splitter (`AdaBoostClassifier(DecisionTreeClassifier(max_depth=1))`, given by
    position, `estimator=` or `base_estimator=`; not with `max_features` or `splitter="random"`),
    draw random numbers only to break ties between equally good splits: they do not count
    (an `AdaBoostRegressor` counts: it draws a weighted bootstrap of the rows at every round);
    `HistGradientBoosting*` counts only with `early_stopping=True` (its random validation split);
    `make_circles`/`make_moons` with `shuffle=False` and no `noise` draw nothing. A
    `fit` of a preprocessing object (`ImageDataGenerator`, `Tokenizer`) trains nothing, also when
    it is a same-file function's parameter that every call of the function gives one
    (`preview(ImageDataGenerator(...), img)` with `gen.fit(batch)` inside); a parameter that some
    call gives a model, or whose calls are not all in the file, still counts. Draws whose
    value only chooses what to show do not count either (analysis/display.py): a
    value read only by display code — matplotlib/seaborn/plotly calls, `imshow`, `print`,
    `display`, a notebook cell's bare expression, a same-file `show_*`/`plot_*` helper that
    trains nothing, an imported helper named only for showing (`pred_and_plot_image`; not
    `train_and_plot`) — directly, through the names bound from it, indexing with it, or as the
    iterable of a loop that only plots (`idx = np.random.choice(len(images), 6)` then
    `axes[k].imshow(images[i])` for each `i`). An in-place shuffle (`random.shuffle(posts)`,
    `np.random.shuffle(rows)`) is judged by what reads the shuffled list afterwards, and a draw
    tested by an `if` whose branches only bind names, fill containers, show something or return
    from the end of a helper (`if random.random() < p: return mirrored`) by what those names and
    the helper's result feed; a branch that calls or trains, or code after an early return, makes
    the draw count. An `assert` only checks a value. Reading only
    the size of a drawn value (`len(x)`, `np.shape(x)`) uses nothing that was drawn: jitter added
    to a plotted column and then subsampled with `np.random.choice(len(x), 500)` only shows. A result
    computed from the draw and printed (`print(model.fit(X[idx]).score(...))`) still counts.
    A drawn value given to a same-file function or method is judged by what the function does with
    that parameter (shows it, or hands it on to its return value, which is then judged at the
    call; a function defined inside it that reads the parameter makes the draw count): a random
    row rebuilt by a fitted PCA's `transform`/`inverse_transform` in a method and shown only shows.
    A draw made inside a same-file function and returned is judged at the calls, by what the callers
    do with the result (`ids, rows = pick_examples()` then printed only shows). Passing through a call
    that may compute a result still counts, also when that result is only printed: a model's
    `predict` on drawn rows, or a layer or callable the file does not define (`embedding(ids)` with
    `embedding` a parameter) applied to drawn ids.
    Cluster labels a helper returns, or writes into the frame it is given
    (`frame["group"] = km.predict(...)`), are followed to the callers; then `Series.map` with a
    lambda, a dict or a same-file function that trains nothing, `df.sample(n)` and `np.argmax`
    hand their input on, and so does the builtin `map` with a lambda, a pure builtin or such a
    function (`color = list(map(float, np.random.rand(3)))` given to a plot only shows).
    An estimator whose `random_state` is set after it is built does not count: by
    `est.set_params(random_state=0)` (directly, or in a same-file helper the estimator is passed
    to) or by a search whose parameter grid fixes it in every dict (`GridSearchCV(est,
    {"random_state": [7], ...})`, also a grid named in a function and bound once at module level,
    when nothing else in the module binds, deletes or changes that name); a model built from
    `**search.best_params_` gets its settings by keyword and does not count either.
    An estimator draws its random numbers when it is fitted: one built at module level and bound
    to a name (or put in a list of candidates) that no code which runs reads again — fitted only
    in a function nobody calls — does not count, nor does one bound at module level to a name that a
    later module-level statement (not a branch) binds again before anything reads it
    (`clf = RandomForestClassifier()` then `clf = SVC()`).

    Any of these counts as seeding: `torch.manual_seed`, `np.random.seed`, `random.seed`,
    `tf.random.set_seed`, `keras.utils.set_random_seed`, `seed_everything`, `transformers.set_seed`,
    a same-file helper calling them, a seed helper imported from elsewhere (`utils.set_seed(...)`),
    seeded local generators (`np.random.default_rng(SEED)`, `torch.Generator().manual_seed(s)`),
    Lightning `Trainer(deterministic=True)`, `LightningCLI` (it seeds by default), Hugging Face
    `Trainer` (it seeds from `TrainingArguments.seed`), `tf_random_seed=` in a TensorFlow
    `RunConfig`, and the project's own helpers named in `seed-functions`. Only code that runs
    counts, for seeds and for draws alike: the module level and the functions it reaches (called,
    passed, decorated, listed in `__all__`, or named `main`); a seed in a function nobody calls
    seeds nothing. A method of a class built on an imported base (`nn.Module`, `Callback`) runs
    when its class is used (frameworks call it); a method of a plain helper class (no base, or a
    builtin base such as `dict`) runs only when it is a dunder, overrides the builtin base, is a
    protocol method (`fit`, `transform`, `forward`, `call`, `on_...`) or its name is used as an
    attribute somewhere in the file (`table.pick()`, `getattr(t, "pick")`; any method when the
    file looks attributes up by computed names). A branch switched off by a module constant never
    runs (`if AUGMENT:` with `AUGMENT = False` bound once at the top level, or in the
    `if __name__ == "__main__":` block, and never again; `if N_BAGS > 1:` with `N_BAGS = 1`;
    `if MODE in ("tune", "bag"):` with `MODE = "plain"`; `if False:`), and neither does the body of
    a loop over an empty collection (`for depth in []:`, or `grid = np.array([])` followed by
    `for depth in grid:` with nothing in between and no function mentioning `grid`). Only `==`, `!=`, `<`, `<=`,
    `>`, `>=`, `is` and `in`/`not in` a literal tuple, list or set are evaluated, and only on
    literals; a flag computed at run time (`os.environ`, `args.folds`) is never a constant.

    The finding is reported on the first import of a module whose RNG is left unseeded (NumPy's
    import for scikit-learn estimators, which draw from NumPy's global RNG), so `# noqa: DLP200`
    goes on that line. The message names the RNGs and their first use.

    ## Why is this bad?
    The guide's *Reproducibility* section asks to seed Python's `random`, NumPy and PyTorch, and
    *Debugging Neural Networks* asks to fix seeds "to tell code changes from noise". Without a
    seed, weight initialisation, shuffling, dropout and augmentation differ on every run: a
    change of one point of accuracy may be the code or may be luck, and a bug seen once cannot
    be reproduced.

    ## Example
    ```python
    import torch
    from torch.utils.data import DataLoader

    loader = DataLoader(train_set, batch_size=64, shuffle=True)
    for x, y in loader:
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
    ```

    ## Use instead
    ```python
    import torch
    from torch.utils.data import DataLoader

    torch.manual_seed(0)
    loader = DataLoader(train_set, batch_size=64, shuffle=True)
    ...
    ```

    ## Fix
    Unsafe: `dlp-fix --unsafe-fixes` inserts seed calls with seed 0 after the last import
    statement, one per RNG the module uses (`torch.manual_seed(0)`, `np.random.seed(0)`,
    `random.seed(0)`, `tf.random.set_seed(0)`, `keras.utils.set_random_seed(0)` for standalone
    Keras), spelled with the module's import aliases. It changes the numbers the program
    produces, hence unsafe.

    ## Known limits
    Library modules (only functions and classes, nothing trains when imported or run) are not
    entry points and are not checked; the script that imports them is. Seeding that happens in
    another module and is not visible here (a config system, a launcher) is not seen unless a
    call named like a seed helper (`set_seed`, `seed_all`, `init_seeds`, ...) appears in the
    module. A TensorFlow training loop written with `GradientTape` is only seen through its
    `tf.random` draws. A torch training loop counts as using randomness only when something random
    feeds it: it does not count when every optimizer works on hand-made tensors
    (`optim.SGD([params])`, `optim.Adam([target_image])`) or on the parameters of a model class of
    the file, and nothing in the module starts from random numbers — no `nn` layer with random
    initial weights unless its weight and bias are set to constants afterwards
    (`nn.init.zeros_(fc.weight)`, `fc.bias.data.fill_(0)`), no dropout, no random `nn.init`, no zoo
    model without pretrained weights, no model class of the file that builds something from
    another module (`Adapter(512)` imported from elsewhere). A zero-initialised full-batch
    regression and style transfer through a frozen pretrained wrapper are not reported; shuffling
    loaders, random samplers (`SubsetRandomSampler`) and `torch.rand*` draws count on their own.
    Still reported, because the catalog asks every training entry point to seed: tutorials and
    library demos where reproducibility is beside the point of the lesson (a minimal MNIST
    loop, a keras.io showcase); one `# noqa: DLP200` on the reported import silences it. An
    exploratory fit is display, not training: a scikit-learn estimator whose every output — fitted
    attributes (`km.labels_`, `km.inertia_`, `forest.feature_importances_`), `fit_transform`/
    `fit_predict` results, the cluster labels `predict` assigns (clusterers and embeddings only) —
    is read only by display code, and that is never scored or asked to predict (`score`,
    `predict` of a supervised model) nor handed to another call (a search, a pipeline, a model's
    `fit`), does not count (and a module whose only module-level fits are such clusterings and
    embeddings is no training entry point, whatever else it draws): an elbow curve, a
    t-SNE map, clusters coloured into a scatter plot, printed importances, a silhouette curve
    (`silhouette_score(X, km.labels_)` plotted over k), members of a cluster picked with
    `np.where(km.labels_ == g)` to be shown, the number of clusters found (`len(np.unique(labels))`),
    labels counted with `np.bincount` or tabulated with `pd.crosstab`/`pd.Series` and printed,
    importances ranked with `np.argsort` and drawn with their spread over the forest's trees
    (`np.std([t.feature_importances_ for t in forest.estimators_], axis=0)`; NumPy's `argsort`,
    `mean`, `std`, `median`, `sum`, `cumsum`, `min`, `max` hand their input on as the methods of
    the same names do), an outlier share (`np.sum(flags == 1)`) plotted per setting. A
    clusterer inside a pipeline (`make_pipeline(scaler, KMeans())`) is handed to another call and
    still counts. Outputs that reach a condition (`if key in counts:`) or a frame the
    analysis cannot follow column by column still count, so some exploratory notebooks stay
    reported; labels stored in a frame that is later trained on count.
    """

    code, name = "DLP200", "missing-seed"
    summary = "a training entry point uses random numbers but never seeds any RNG"
    section = SECTION_SEEDS
    fix = "unsafe"
    fix_note = "insert seed calls after the imports"

    def check(self, facts: ModuleFacts) -> Iterator[Finding]:
        if not facts.derived(may_use_randomness):
            return  # no RNG used: decided before which code runs, its seeds and its draws are worked out
        rnd = facts.derived(randomness_of)
        if not rnd.entry or not rnd.uses:
            return
        if (rnd.global_seeds or rnd.local_seeds or rnd.opaque_seeds or rnd.implicit_seed is not None
                or rnd.deterministic):
            return
        uses = facts.derived(counted_uses)
        if not uses:
            return  # every draw only picks what to show
        imports = facts.derived(module_imports)
        rngs = [rng for rng in _RNG_ORDER if any(u.rng == rng for u in uses)]
        first = min(uses, key=lambda u: (u.line, u.node.col_offset))
        line = _import_line(imports, rngs) or first.line
        fix = _seed_fix(imports, rngs, "0", imports.last_import, "unsafe") if imports.last_import is not None else None
        labels = _labels(rngs)
        subject = f"the {labels[0]} RNG is" if len(labels) == 1 else f"the {_and(labels)} RNGs are"
        where = line_ref(first.line, first.what)
        text = first.text.split(" without ", 1)[0]
        headline = fitting(f"{subject} never seeded; first use: {first.text} at {where}",
                           f"{subject} never seeded; first use: {text} at {where}",
                           f"no seed for {', '.join(labels)}; first use: {text} at {where}",
                           f"{subject} never seeded; first use at {where}")
        stmt = next((s for s in facts.tree.body if s.lineno == line), None)  # the import, for an editor's range
        yield self.finding(stmt, headline, fix) if stmt is not None else Finding(line, 0, self.code, headline, fix)


class IncompleteSeeding(Rule):
    """
    ## What it does
    In a module that seeds some random number generators, flags the first seed call when the
    module also uses an RNG that none of its seed calls covers:

    - PyTorch: training with torch (a training loop, Lightning `trainer.fit`), `torch.rand*`,
      `torch.randperm`, `DataLoader(shuffle=True)`; covered by `torch.manual_seed`,
      `seed_everything`, `transformers.set_seed` (a CUDA-only `torch.cuda.manual_seed` does not
      seed the CPU generator that initialises weights);
    - NumPy: draws such as `np.random.rand/randn/randint/choice/shuffle/permutation/normal`, and
      scikit-learn estimators without `random_state` (they draw from NumPy's global RNG);
      covered by `np.random.seed`, `keras.utils.set_random_seed`, `seed_everything`;
    - Python's `random`: `random.random/shuffle/choice/randint/sample/...`; covered by
      `random.seed`, `keras.utils.set_random_seed`, `seed_everything`;
    - TensorFlow/Keras: `model.fit` of a Keras model, `tf.random.*` draws; covered by
      `tf.random.set_seed`, `keras.utils.set_random_seed`, `transformers.set_seed`. With
      standalone `keras` imports (not `tensorflow.keras`) a NumPy or `random` seed also counts:
      Keras 2.0-2.5 drew its seeds from NumPy and Keras 3 from Python's `random`.

    Hugging Face `Trainer` and `LightningCLI` seed everything themselves: the rule is quiet in
    modules that use them.

    ## Why is this bad?
    The guide's *Reproducibility* section lists the generators to seed: Python's `random`,
    NumPy and PyTorch. The module clearly wants reproducible runs, since it seeds, but one
    unseeded generator is enough to make two runs differ (a `random.shuffle` of file names, an
    `np.random.permutation` of indices), and the difference is then blamed on the code.

    ## Example
    ```python
    import numpy as np
    import torch

    torch.manual_seed(42)
    idx = np.random.permutation(len(dataset))
    ```

    ## Use instead
    ```python
    import numpy as np
    import torch

    torch.manual_seed(42)
    np.random.seed(42)
    idx = np.random.permutation(len(dataset))
    ```

    ## Fix
    Safe: `dlp-fix` inserts the missing seed calls right after the existing one, with the same
    seed expression (`np.random.seed(args.seed)` after `torch.manual_seed(args.seed)`), spelled
    with the module's aliases (`np` for NumPy). No fix is offered when the seed expression has
    side effects (`torch.manual_seed(random.randint(0, 99))`) or when the seed call is part of a
    larger statement.

    ## Known limits
    Seed helpers imported from another module (`utils.set_seed(seed)`) seed unknown
    generators: the rule stays quiet in such modules, unless the helper is named in
    `seed-functions` (then it seeds every RNG). Seeds and draws in functions nobody calls do not
    count. Seeded local generators
    (`rng = np.random.default_rng(0)`) do not seed global draws (`np.random.rand()`), which are
    still reported. Whether an unseeded draw runs before or after training is not considered.
    Draws whose value only chooses what to show (which feature maps to plot, random colours; see
    DLP200) are not reported; a value passed through a same-file helper that also serves other
    callers, or stored on an object, counts as used.
    """

    code, name = "DLP202", "incomplete-seeding"
    summary = "some RNGs are seeded but others the module uses are not"
    section = SECTION_SEEDS
    fix = "safe"
    fix_note = "add the missing seed calls after the existing one, same seed"

    def check(self, facts: ModuleFacts) -> Iterator[Finding]:
        if not facts.derived(may_use_randomness):
            return  # no RNG used, none left unseeded
        rnd = facts.derived(randomness_of)
        if not rnd.global_seeds or rnd.opaque_seeds or rnd.implicit_seed is not None:
            return
        covered = rnd.seeded_kinds
        missing = [rng for rng in _RNG_ORDER if rnd.uses_of(rng) and not COVERED_BY[rng] & covered]
        if missing:  # draws that only pick what to show do not count; sklearn's only when NumPy's do not
            uses = counted_uses_of(facts, [rng for rng in missing if rng != "sklearn"])
            if "sklearn" in missing and not any(u.rng == "numpy" for u in uses):
                uses += counted_uses_of(facts, ["sklearn"])
            missing = [rng for rng in missing if any(u.rng == rng for u in uses)]
        if "sklearn" in missing and "numpy" in missing:
            missing.remove("sklearn")
        if not missing:
            return
        direct = [s for s in rnd.global_seeds if s.via is None and not s.team] or rnd.global_seeds
        # prefer a seed call with a plain seed outside a worker_init_fn, then the first
        anchor = min(direct, key=lambda s: (id(s.site.scope) in rnd.worker_init,
                                            _seed_text(seed_argument(s.site)) is None,
                                            s.site.line, s.site.node.col_offset))
        site = anchor.site
        seeded = [_KIND_LABEL[k] for k in ("torch", "torch_cuda", "tf", "numpy", "random")
                  if k in covered and not (k == "torch_cuda" and "torch" in covered)]
        fix = None
        stmt = site.stmt
        text = _seed_text(seed_argument(site))
        if text is not None and isinstance(stmt, ast.Expr) and stmt.value is site.node:
            fix = _seed_fix(facts.derived(module_imports), missing, text, stmt, "safe")
        use = min((u for u in uses if u.rng in missing), key=lambda u: (u.line, u.node.col_offset))
        unseeded = _and(_labels(missing))
        where = line_ref(use.line, use.what)
        yield self.finding(site.node, fitting(
            f"seeds {_and(seeded)} but not {unseeded}, used by {use.text} at {where}",
            f"seeds {_and(seeded)} but not {unseeded}, used at {where}"), fix)


_ALWAYS_RANDOM = frozenset({"ShuffleSplit", "StratifiedShuffleSplit", "GroupShuffleSplit",
                            "RepeatedKFold", "RepeatedStratifiedKFold"})
_SHUFFLE_OPTIONAL = frozenset({"KFold", "StratifiedKFold", "GroupKFold", "StratifiedGroupKFold"})


def _random_sklearn_split(site: CallSite) -> bool:
    """A random scikit-learn split or shuffle whose random_state is not passed positionally."""
    qn = site.qn or ""
    if not qn.startswith("sklearn."):
        return False
    cls = last_part(qn)
    node = site.node
    old_api = qn.startswith("sklearn.cross_validation.")  # KFold(n, n_folds, shuffle, random_state)
    shuffle = site.kwarg_node("shuffle")
    if cls == "train_test_split":
        return not (isinstance(shuffle, ast.Constant) and shuffle.value is False)
    if cls == "shuffle" and qn.startswith("sklearn.utils"):
        return True
    if cls in _ALWAYS_RANDOM:
        return len(node.args) < (5 if old_api else 4)
    if cls in _SHUFFLE_OPTIONAL:
        index = 2 if old_api else 1
        if shuffle is None and len(node.args) > index:
            shuffle = node.args[index]
        if len(node.args) > index + 1:  # random_state given positionally
            return False
        return isinstance(shuffle, ast.Constant) and shuffle.value is True
    return False


def _unpinned_split(site: CallSite) -> bool:
    """A random split or shuffle (``random_split``, see ``_random_sklearn_split``) given neither a
    generator nor a random_state (nor ``**kwargs`` that may hold one): DLP203 reports it unless a
    seed runs before it or it only picks what to show."""
    qn = site.qn
    if qn is None or not (qn.startswith("sklearn.") or qn in RANDOM_SPLIT):
        return False
    node = site.node
    if any(kw.arg is None for kw in node.keywords):
        return False
    if qn in RANDOM_SPLIT:
        return site.kwarg_node("generator") is None and len(node.args) < 3
    return _random_sklearn_split(site) and site.kwarg_node("random_state") is None


def _may_seed_torch(facts: ModuleFacts) -> bool:
    """A call that may seed torch (``seeds_of``: a torch seed call, ``enable_full_determinism``, a
    team seed function), judged on every call of the module, running or not: DLP201 needs one."""
    return bool(facts.settings.seed_functions) or not facts.derived(called_names).qualified.isdisjoint(_TORCH_SEEDERS)


_TORCH_SEEDERS = frozenset({qn for qn, kinds in SEED_CALLS.items() if kinds & TORCH_KINDS}
                           | {"transformers.enable_full_determinism"})


def _seeded_before(rnd: Randomness, kinds: frozenset[str], site: CallSite) -> bool:
    """A seed of ``kinds`` runs before ``site``: earlier at module level, earlier in the same
    function, or earlier in a function of this file before it calls (transitively) ``site``'s."""
    seeds = [s.via or s.site for s in rnd.global_seeds if s.kinds & kinds] + rnd.opaque_seeds
    if not seeds:
        return False
    # (function or None for module level, line): code there before that line runs before the split
    todo: list[tuple[FunctionInfo | None, int]] = [(site.scope, site.line)]
    seen: set[int] = set()
    while todo:
        scope, line = todo.pop()
        if any(s.scope is scope and s.line < line for s in seeds):
            return True
        if scope is None or id(scope) in seen:
            continue
        seen.add(id(scope))
        if not scope.callers:  # run from elsewhere (app.run(main), a test): module-level seeds ran
            if any(s.scope is None for s in seeds):
                return True
        for caller in scope.callers:
            todo.append((caller.scope, caller.line))
    return False


class UnseededSplit(Rule):
    """
    ## What it does
    Flags a random split or shuffle whose randomness is not pinned:

    - scikit-learn `train_test_split`, `ShuffleSplit`, `StratifiedShuffleSplit`,
      `GroupShuffleSplit`, `RepeatedKFold`, `RepeatedStratifiedKFold`, `sklearn.utils.shuffle`,
      and `KFold`/`StratifiedKFold`/`GroupKFold`/`StratifiedGroupKFold` with `shuffle=True`,
      without `random_state` — unless `np.random.seed(...)` (or another NumPy-seeding call) ran
      before, at module level or in the same entry point (the function itself or one calling it);
    - `torch.utils.data.random_split` without `generator=` in a module that never seeds torch.

    `train_test_split(..., shuffle=False)` is not random and is not flagged; an explicit
    `random_state=None` is taken as a deliberate choice.

    ## Why is this bad?
    *Reproducibility* in the guide: every source of randomness must be pinned. A split without
    a seed puts different examples in the training and test sets on every run, so scores move
    between runs for reasons that have nothing to do with the model, and a test score cannot be
    reproduced or compared with a colleague's.

    ## Example
    ```python
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2)
    train_ds, val_ds = random_split(dataset, [0.9, 0.1])
    ```

    ## Use instead
    ```python
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=42)
    train_ds, val_ds = random_split(dataset, [0.9, 0.1],
                                    generator=torch.Generator().manual_seed(42))
    ```

    ## Fix
    Unsafe: `dlp-fix --unsafe-fixes` adds `random_state=<seed>` (or
    `generator=torch.Generator().manual_seed(<seed>)`), using the module's own seed expression
    when it is valid at the split (a constant or a module-level name such as `SEED`), otherwise 0.
    The split changes, hence unsafe. A split inside a loop gets no fix: a constant seed there would
    make every repetition draw the same split (a loop that repeats random splits to average over
    them); seed it from the loop counter (`random_state=SEED + i`) or seed NumPy once before the loop.

    ## Known limits
    Seeding done in another module before this code runs is not seen, unless a call named like
    a seed helper (`set_seed(...)`) appears here. A global `np.random.seed` that runs later than
    the split in the same scope does not count. Splits in functions nobody calls in the module
    are not reported (they do not run), and neither are shuffles and splits whose result only
    chooses what to show (`shown = shuffle(df)` read only by `head()`, `imshow`, `print`; see
    DLP200).
    """

    code, name = "DLP203", "unseeded-split"
    summary = "a random split or shuffle has no random_state/generator and no seed before it"
    section = SECTION_SEEDS
    fix = "unsafe"
    fix_note = "add random_state= / generator= with the module's seed"

    def check(self, facts: ModuleFacts) -> Iterator[Finding]:
        qualified = facts.derived(called_names).qualified
        if qualified.isdisjoint(RANDOM_SPLIT) and not any(qn.startswith("sklearn.") for qn in qualified) \
                or not any(_unpinned_split(site) for site in facts.calls):
            return  # decided on the calls alone, before which code runs and its seeds are worked out
        rnd = facts.derived(randomness_of)
        torch_seeded = bool(rnd.seeded_kinds & {"torch"}) or bool(rnd.opaque_seeds)
        for site in facts.derived(running_calls):
            if not _unpinned_split(site):
                continue
            node = site.node
            if site.qn in RANDOM_SPLIT:
                if torch_seeded or shown_only(facts, node):
                    continue
                yield self.finding(node, f"{_called(site)}() has no generator= and torch is never seeded",
                                   None if site.loops else generator_fix(facts, site, "0"))
            else:
                if _seeded_before(rnd, frozenset({"numpy"}), site) or shown_only(facts, node):
                    continue  # seeded, or the shuffled rows only pick what to show
                seed = _module_seed(facts, site, ("numpy",)) or "0"
                fix = None if site.loops else Fix("unsafe", "add-keyword", span_of(node),
                                                  (("keyword", "random_state"), ("value", seed)),
                                                  title=f"add random_state={seed}")
                yield self.finding(node, f"{_called(site)}() has no random_state and NumPy is not seeded "
                                   f"before it", fix)


class UnseededLoaderWorkers(Rule):
    """
    ## What it does
    Opt-in. In a module that seeds torch, flags a `DataLoader(...)` that passes neither
    `generator=` nor `worker_init_fn=` and either shuffles (`shuffle=True`) or loads data that
    draws random numbers (a random augmentation transform, a same-file dataset whose methods draw
    from `np.random`/`random`/`torch.rand*`) in worker processes (`num_workers` > 0, or a value
    decided at run time). Loaders in functions nobody calls are not checked. Lightning
    `seed_everything(..., workers=True)` seeds the workers and silences the rule for the module,
    and so does an `accelerate.Accelerator` (its `prepare()` re-seeds the loaders' samplers).

    ## Why is this bad?
    *Reproducibility* in the guide: the module seeds torch because it wants reproducible runs.
    PyTorch's own reproducibility recipe adds a seeded `generator` for the sampler and a
    `worker_init_fn` that seeds NumPy and `random` in each worker: without them, augmentation
    that draws from NumPy in the workers repeats the same numbers in every worker, and the
    shuffling order depends on everything else that drew from the global generator before
    (a model change shifts the data order).

    ## Example
    ```python
    torch.manual_seed(0)
    loader = DataLoader(train_set, batch_size=64, shuffle=True, num_workers=4)
    ```

    ## Use instead
    ```python
    torch.manual_seed(0)

    def seed_worker(worker_id):
        worker_seed = torch.initial_seed() % 2**32
        np.random.seed(worker_seed)
        random.seed(worker_seed)

    g = torch.Generator()
    g.manual_seed(0)
    loader = DataLoader(train_set, batch_size=64, shuffle=True, num_workers=4,
                        worker_init_fn=seed_worker, generator=g)
    ```

    ## Fix
    Unsafe: `dlp-fix --unsafe-fixes` adds `generator=torch.Generator().manual_seed(<seed>)`, with
    the module's torch seed expression when it is valid at the loader, else
    `torch.initial_seed()` (the seed the module set). The data order changes, hence unsafe.
    A `worker_init_fn` for NumPy/`random` in workers is left to the author.

    ## Known limits
    A `sampler=` with its own seed (`DistributedSampler(seed=...)`) still counts as shuffling
    only when `shuffle=True` is also passed; loaders built through `**kwargs` are not checked.
    A non-shuffling loader in worker processes is reported only when its data is seen to draw
    random numbers: a dataset class from another module, or a transform passed through layers
    the analysis does not follow, is taken as deterministic (an evaluation loader over a
    deterministic dataset has nothing to pin).
    """

    code, name = "DLP204", "unseeded-loader-workers"
    summary = "a shuffling or multi-worker DataLoader has no generator= or worker_init_fn="
    section = SECTION_SEEDS
    default = False
    fix = "unsafe"
    fix_note = "add generator= seeded from the module's seed"

    def check(self, facts: ModuleFacts) -> Iterator[Finding]:
        rnd = facts.derived(randomness_of)
        torch_seeds = [s for s in rnd.global_seeds if "torch" in s.kinds]
        if not torch_seeds or rnd.workers_seeded or rnd.accelerate:
            return
        first = min(torch_seeds, key=lambda s: s.call.line)
        random_data = _random_datasets(facts, rnd)
        for site in facts.derived(running_calls):
            if site.qn not in LOADERS:
                continue
            node = site.node
            if any(kw.arg is None for kw in node.keywords) or len(node.args) > 10:
                continue
            if site.kwarg_node("generator") is not None or site.kwarg_node("worker_init_fn") is not None:
                continue
            shuffle = site.kwarg_node("shuffle")
            if shuffle is None and len(node.args) > 2:
                shuffle = node.args[2]
            workers = site.kwarg_node("num_workers")
            if workers is None and len(node.args) > 5:
                workers = node.args[5]
            shuffles = isinstance(shuffle, ast.Constant) and shuffle.value is True
            in_workers = workers is not None and not (
                isinstance(workers, ast.Constant) and (not isinstance(workers.value, int) or workers.value <= 0))
            # workers matter only for data that draws random numbers (augmentation): an evaluation
            # loader over a deterministic dataset has nothing to pin
            if not shuffles and not (in_workers and _draws_in_workers(site, random_data)):
                continue
            how = "shuffles" if shuffles else "augments in workers"
            seeded = line_ref(first.call.line, _called(first.call))
            yield self.finding(node, fitting(
                f"{_loader_label(site)} {how} without generator=/worker_init_fn=; torch seeded at {seeded}",
                f"DataLoader() {how} without generator=/worker_init_fn=; torch seeded at {seeded}"),
                generator_fix(facts, site, None, "add a seeded generator="))


def generator_fix(facts: ModuleFacts, site: CallSite, default_seed: str | None, title: str = "") -> Fix | None:
    """Add ``generator=torch.Generator().manual_seed(<seed>)`` to a split or loader call: the module's
    torch seed when it is valid there, else ``default_seed`` (``torch.initial_seed()`` when None)."""
    imports = facts.derived(module_imports)
    alias = imports.alias_of("torch")
    if not alias and not imports.name_free("torch"):
        return None
    torch_name = alias or "torch"
    seed = _module_seed(facts, site, ("torch",)) or default_seed or f"{torch_name}.initial_seed()"
    value = f"{torch_name}.Generator().manual_seed({seed})"
    data = [("keyword", "generator"), ("value", value)] + ([] if alias else [("imports", "torch")])
    return Fix("unsafe", "add-keyword", span_of(site.node), tuple(data), title=title or f"add generator={value}")


def _loader_label(site: CallSite) -> str:
    label = f"{site.name or 'DataLoader'}()"
    stmt = site.stmt
    if isinstance(stmt, ast.Assign) and stmt.value is site.node and len(stmt.targets) == 1:
        target = _target_name(stmt.targets[0])
        if target:
            return f"{target!r} = {label}"
    return label


def _random_datasets(facts: ModuleFacts, rnd: Randomness) -> tuple[set[int], set[int], set[str]]:
    """What marks data that draws random numbers when loaded: the ids of named augmenting transforms,
    the constructor calls given an augmenting transform, and the same-file dataset classes whose
    methods draw random numbers."""
    aug_idents: set[int] = set()
    aug_calls: set[int] = set()
    for site in facts.calls:
        for value in (*site.args, *site.kwargs.values()):
            if value.aug:
                if value.name:  # a named transform: data built from it carries its id
                    aug_idents |= value.idents
                aug_calls.add(id(site.node))
    classes = {u.owner for u in rnd.uses if u.owner}
    return aug_idents, aug_calls, classes


def _draws_in_workers(site: CallSite, random_data: tuple[set[int], set[int], set[str]]) -> bool:
    aug_idents, aug_calls, classes = random_data
    data = site.arg(0, "dataset")
    if data is None:
        return False
    if data.aug or data.anc & aug_idents or (data.call is not None and id(data.call) in aug_calls):
        return True
    return bool(data.kind) and data.kind.startswith("<local>.") and data.kind[8:] in classes
