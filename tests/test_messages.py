"""What the user reads from DLP200-DLP504: short headlines that name the defect and its key line,
exact texts pinned per rule, a title on every fix."""
from __future__ import annotations

import pytest

from conftest import FIXTURES, fixture_files, opt_in_of
from flake8_dlpractice.engine import check_source
from flake8_dlpractice.findings import MAX_HEADLINE, MAX_TEXT

FILES = [p for p in fixture_files() if p.relative_to(FIXTURES).parts[0][3] in "2345"]


def findings_of(relative: str):
    path = FIXTURES / relative
    return check_source(path.read_text(encoding="utf-8"), str(path), opt_in=opt_in_of(path))


@pytest.mark.parametrize("path", FILES, ids=[str(p.relative_to(FIXTURES)) for p in FILES])
def test_headline_and_text_fit_their_limits_and_fixes_have_titles(path):
    for finding in check_source(path.read_text(encoding="utf-8"), str(path), opt_in=opt_in_of(path)):
        if finding.code[3] not in "2345":
            continue
        assert len(finding.render_headline()) <= MAX_HEADLINE, finding.text
        assert len(finding.text) <= MAX_TEXT, finding.text
        if finding.fix is not None:
            assert finding.fix.title, finding.text


PINNED = {
    ("DLP200/flagged_sklearn_forest.py", 2):
        "the NumPy RNG is never seeded; first use: RandomForestClassifier() without random_state at line 8",
    ("DLP200/flagged_mapped_draw_weights_the_fit.py", 2):  # the colour draw at line 8 only shows
        "the NumPy RNG is never seeded; first use: np.random.rand() at line 11",
    ("DLP200/flagged_main_function.py", 2):
        "the PyTorch, NumPy and random RNGs are never seeded; first use: the training loop at line 11",
    ("DLP201/flagged_benchmark_true.py", 7):
        "cudnn.benchmark = True picks kernels by timing: runs seeded at line 5 still differ",
    ("DLP201/flagged_seed_without_determinism.py", 11):
        "torch is seeded, but cuDNN may pick non-deterministic kernels for nn.LSTM (line 19)",
    ("DLP202/flagged_numpy_seeded_torch_training.py", 5):
        "seeds NumPy but not PyTorch, used by the training loop at line 11",
    ("DLP202/flagged_tf_seeded_numpy_shuffle.py", 4):
        "seeds TensorFlow but not NumPy, used by np.random.shuffle() at line 6",
    ("DLP203/flagged_random_split.py", 8): "random_split() has no generator= and torch is never seeded",
    ("DLP203/flagged_seed_after_split.py", 6):
        "train_test_split() has no random_state and NumPy is not seeded before it",
    ("DLP204/flagged_loaders.py", 12):
        "'train_loader' = DataLoader() shuffles without generator=/worker_init_fn=; torch seeded at line 7",
    ("DLP204/flagged_loaders.py", 15):
        "DataLoader() augments in workers without generator=/worker_init_fn=; torch seeded at line 7",
    ("DLP300/flagged_loops.py", 11):
        "gradients add up: the loop at line 9 steps 'optimizer' but never calls zero_grad()",
    ("DLP301/flagged_eval_loops.py", 34): "evaluates 'model' in training mode (left by model.train() at line 26)",
    ("DLP301/flagged_training_after_eval.py", 50):
        "trains 'model' in eval mode (left by validate() at line 49)",
    ("DLP302/flagged_no_grad_missing.py", 29):
        "evaluation loop runs 'net' (line 30) outside torch.no_grad(): each batch keeps an autograd graph",
    ("DLP303/flagged_scheduler.py", 34):
        "lr_sched.step() runs before optimizer.step() (line 40) each iteration: the first LR is skipped",
    ("DLP304/flagged_log_softmax.py", 13):
        "log of softmax output ('probs' = softmax at line 12) underflows to -inf: use log_softmax",
    ("DLP304/flagged_log_softmax.py", 39):
        "log of softmax output ('net' returns softmax at line 34) underflows to -inf: use log_softmax",
    ("DLP304/flagged_log_of_complement.py", 7):
        "log of 1 - softmax output (softmax at line 5) underflows to -inf: use log1p(-exp(log_softmax(x)))",
    ("DLP304/flagged_log_of_complement.py", 12):
        "log of 1 - sigmoid output ('p_fake' = sigmoid at line 11) underflows to -inf: use logsigmoid(-x)",
    ("DLP305/flagged_double_softmax.py", 10):
        "F.nll_loss expects log-probabilities but gets softmax output (softmax at line 10)",
    ("DLP305/flagged_passed_through.py", 22):
        "CrossEntropyLoss 'criterion' expects logits but gets softmax output (softmax at line 14)",
    ("DLP306/flagged_accumulation.py", 16):
        "loss is accumulated into 'losses' with its autograd graph: use loss.detach()",
    ("DLP307/flagged_forward.py", 18):
        "model.forward(...) skips the module's hooks (DDP, AMP, torch.compile): call model(...)",
    ("DLP308/flagged_log.py", 10): "np.log(a / b) has no epsilon or clamp: log(0) gives -inf and NaN gradients",
    ("DLP308/gan_losses_are_dlp304.py", 6):
        "log of sigmoid output (sigmoid at line 6) underflows to -inf: use logsigmoid",
    ("DLP309/flagged_sigmoid_bce.py", 7):
        "F.binary_cross_entropy gets sigmoid output (sigmoid at line 7): use BCEWithLogitsLoss on logits",
    ("DLP400/flagged_silent_loops.py", 23):
        "this training loop never records its loss or a metric (loss.backward() at line 26)",
    ("DLP401/flagged_keras_fit.py", 12):
        "model.fit(epochs=100) trains with no validation_data or validation_split (also line 16)",
    ("DLP402/flagged_step_helper.py", 21):
        "this training loop neither clips nor logs gradient norms (train_step() at line 22)",
    ("DLP403/flagged_summary_writer.py", 9):
        "SummaryWriter() starts a run but this module records no hyperparameters (and 1 more tracker)",
    ("DLP500/flagged_debugging_aids.py", 11):
        "torch.compile applied while debugging (CUDA_LAUNCH_BLOCKING at line 6): make the model work first",
    ("DLP501/flagged_compile_in_loop.py", 19):
        "torch.compile in step(), which runs inside the loop at line 28: compile once, outside",
    ("DLP502/flagged_context_and_main.py", 31):
        "set_detect_anomaly(True) stays on for the training loop at line 32: it slows every backward pass",
    ("DLP503/flagged_timm_and_hf.py", 10):
        "timm.create_model('resnet50') starts from random weights (pretrained=False)",
    ("DLP504/flagged_keras_on_dataframe.py", 14):
        "trains a network on tabular features (train.values at line 9) with no gradient-boosting baseline",
}


@pytest.mark.parametrize("where", sorted(PINNED), ids=[f"{p}:{line}" for p, line in sorted(PINNED)])
def test_pinned_message(where):
    relative, line = where
    code = relative.split("/")[0]
    code = "DLP304" if relative.startswith("DLP308/gan") else code
    messages = [f.message for f in findings_of(relative) if f.line == line and f.code == code]
    assert messages == [PINNED[where]]


def test_fix_titles_name_the_edit():
    titles = {f.code: f.fix.title for p in ("DLP200/flagged_sklearn_forest.py", "DLP302/flagged_no_grad_missing.py",
                                            "DLP201/flagged_benchmark_true.py", "DLP300/flagged_loops.py")
              for f in findings_of(p) if f.fix is not None}
    assert titles == {"DLP200": "insert numpy.random.seed(0)",
                      "DLP302": "wrap the evaluation loop in torch.no_grad()",
                      "DLP201": "set cudnn.benchmark = False",
                      "DLP300": "call optimizer.zero_grad() before the backward pass"}
