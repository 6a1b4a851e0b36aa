"""What calls, names and keys mean to the facts walker and the rules that ask after it.

Defined once here: the no-grad contexts, calls that hand on their input's role unchanged, wrappers and
combinations of data, metadata that is not data, random augmentations, the data a loop iterates, and the
split that a dataset constructor (``train=False``, ``split="test"``, a ``val/`` folder) or a string key
(``ds["test"]``) names.
"""
from __future__ import annotations

import ast

from .names import PATH_ROLES, ROLE_TOKENS, dotted, last_part, name_words, role_from_name

ROLE_WORDS = frozenset(ROLE_TOKENS)

NO_GRAD_CONTEXTS = frozenset({"torch.no_grad", "torch.inference_mode", "torch.autograd.no_grad",
                              "torch.autograd.grad_mode.no_grad"})


# Calls and methods that hand on their input's role unchanged (wrappers); anything unknown does
# too when exactly one role flows into it.
ROLE_NEUTRAL_BUILTINS = frozenset({"len", "print", "range", "isinstance", "type", "str", "int",
                                   "float", "bool", "round", "format", "repr", "hasattr", "getattr",
                                   "setattr", "id", "hash", "super", "open", "sum", "max", "min",
                                   "abs"})


# Methods whose result is not the receiver's data (shapes, scalars, metadata).
WRAPPER_FUNCS = frozenset({"array", "asarray", "tensor", "as_tensor", "from_numpy", "from_tensor_slices",
                           "from_tensors", "convert_to_tensor", "list", "tuple", "iter", "enumerate", "tqdm",
                           "sorted", "deepcopy", "copy", "Tensor", "FloatTensor", "LongTensor", "DMatrix"})


COMBINE_FUNCS = frozenset({"concatenate", "vstack", "hstack", "concat", "cat", "stack", "append",
                           "column_stack", "dstack", "row_stack", "zip", "chain", "merge", "join",
                           "combine_first", "union", "extend"})


# packages whose estimators follow scikit-learn's API (``fit`` returns the estimator itself)
ESTIMATOR_PACKAGES = ("sklearn.", "xgboost.", "lightgbm.", "catboost.")


METADATA_ATTRS = frozenset({"shape", "dtype", "dtypes", "device", "ndim", "columns", "index", "size",
                            "classes", "class_to_idx", "classes_", "feature_names", "n_samples"})


NON_DATA_METHODS = frozenset({"size", "dim", "numel", "item", "keys", "count", "index", "nunique",
                              "__len__", "isnull", "isna", "info", "describe", "head", "tail",
                              "value_counts", "eval", "train", "parameters", "state_dict",
                              "named_parameters", "zero_grad", "step", "backward"})


_AUG_TORCHVISION = frozenset({
    "ColorJitter", "RandAugment", "AutoAugment", "TrivialAugmentWide", "AugMix", "GaussianBlur",
    "ElasticTransform", "MixUp", "CutMix", "ScaleJitter", "Cutout",
})


_AUG_ALBUMENTATIONS = frozenset({
    "HorizontalFlip", "VerticalFlip", "Flip", "Transpose", "Rotate", "SafeRotate", "ShiftScaleRotate",
    "Affine", "Perspective", "ElasticTransform", "GridDistortion", "OpticalDistortion",
    "CoarseDropout", "Cutout", "GridDropout", "GaussNoise", "ISONoise", "MultiplicativeNoise",
    "Blur", "MotionBlur", "MedianBlur", "GaussianBlur", "GlassBlur", "ColorJitter",
    "HueSaturationValue", "RGBShift", "ChannelShuffle", "CLAHE", "Sharpen", "Emboss", "Posterize",
    "Solarize", "Equalize", "ToGray", "ToSepia", "ChannelDropout", "Downscale", "ImageCompression",
    "JpegCompression", "OneOf", "SomeOf", "PiecewiseAffine", "CropAndPad", "XYMasking",
})


_AUG_KERAS_KW = ("rotation_range", "width_shift_range", "height_shift_range", "shear_range",
                 "zoom_range", "horizontal_flip", "vertical_flip", "brightness_range",
                 "channel_shift_range")


def _truthy_const(node: ast.expr | None) -> bool:
    if node is None:
        return False
    if isinstance(node, ast.Constant):
        return bool(node.value)
    if isinstance(node, (ast.Tuple, ast.List)):
        return bool(node.elts)
    return True  # a variable: may well be set


def augmentation_of(qn: str | None, call: ast.Call) -> str | None:
    """Evidence that the constructor call builds a random augmentation, else None."""
    if not qn:
        return None
    cls = last_part(qn)
    p_node = next((kw.value for kw in call.keywords if kw.arg in ("p", "prob", "probability")), None)
    if isinstance(p_node, ast.Constant) and p_node.value in (0, 0.0):
        return None
    if qn.startswith("torchvision.transforms.") or qn.startswith("kornia.augmentation."):
        if cls.startswith("Random") or cls in _AUG_TORCHVISION:
            return cls
    elif qn.startswith("albumentations."):
        if cls.startswith("Random") or cls in _AUG_ALBUMENTATIONS:
            return cls
    elif qn.startswith("keras.layers.") or qn.startswith("keras.layers.experimental.preprocessing."):
        if cls.startswith("Random"):
            return cls
    elif cls == "ImageDataGenerator" and qn.startswith("keras."):
        used = [kw.arg for kw in call.keywords if kw.arg in _AUG_KERAS_KW and _truthy_const(kw.value)]
        if used:
            return f"ImageDataGenerator({used[0]}=...)"
    elif qn.startswith("tensorflow.image.random_") or qn.startswith("tensorflow.image.stateless_random_"):
        return last_part(qn)
    return None


def is_no_grad_context(qn: str | None, call: ast.expr) -> bool:
    if qn in NO_GRAD_CONTEXTS:
        return True
    if qn in ("torch.set_grad_enabled", "torch.autograd.set_grad_enabled") and isinstance(call, ast.Call):
        arg = call.args[0] if call.args else None
        return isinstance(arg, ast.Constant) and arg.value is False
    return False


def unwrap_iter(node: ast.expr) -> ast.expr:
    """``enumerate(tqdm(loader, ...))`` -> ``loader``; ``zip(a, b)`` -> ``a``."""
    for _ in range(8):
        if isinstance(node, ast.Call) and node.args and isinstance(node.func, (ast.Name, ast.Attribute)):
            fname = node.func.id if isinstance(node.func, ast.Name) else node.func.attr
            if fname in ("enumerate", "tqdm", "iter", "zip", "list", "trange", "track", "progress_bar",
                         "islice", "cycle", "sorted", "reversed", "ProgressBar"):
                node = node.args[0]
                continue
        break
    return node


def root_name(node: ast.expr) -> str | None:
    """The dotted name at the base of a data expression (``self.loaders['train']`` -> self.loaders)."""
    for _ in range(16):
        if isinstance(node, ast.Subscript):
            node = node.value
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            node = node.func.value
        else:
            break
    return dotted(node)


_FOLDER_DATASETS = frozenset({"ImageFolder", "DatasetFolder", "flow_from_directory", "image_dataset_from_directory",
                              "text_dataset_from_directory", "audio_dataset_from_directory", "ImageDataset",
                              "load_files"})


def dataset_role(call: ast.Call) -> tuple[str, str] | None:
    """Role given by a dataset constructor: ``train=False``, ``split="test"``, a folder path."""
    func = call.func
    short = func.attr if type(func) is ast.Attribute else func.id if type(func) is ast.Name else "dataset"
    if not call.keywords and short not in _FOLDER_DATASETS:  # most calls (asked of every call with arguments)
        return None
    for kw in call.keywords:
        val = kw.value
        if kw.arg in ("train", "is_train", "is_training") and isinstance(val, ast.Constant) \
                and isinstance(val.value, bool):
            return ("train", f"{short}({kw.arg}=True)") if val.value else ("test", f"{short}({kw.arg}=False)")
        if kw.arg in ("split", "subset", "image_set", "mode", "phase") and isinstance(val, ast.Constant) \
                and isinstance(val.value, str):
            role = _split_string_role(val.value)
            if role:
                return role, f"{short}({kw.arg}={val.value!r})"
    if short in _FOLDER_DATASETS:
        paths = call.args[:1] + [kw.value for kw in call.keywords if kw.arg in ("root", "directory")]
        for path in paths:
            role = _path_role(path)
            if role:
                return role, f"{short}() of a {role!r} folder"
    return None


def _split_string_role(text: str) -> str | None:
    base = text.split("[", 1)[0].strip().lower()  # "train[:80%]"
    return PATH_ROLES.get(base) or role_from_name(base)


def _path_role(node: ast.expr) -> str | None:
    found = None
    for sub in ast.walk(node) if not isinstance(node, ast.Constant) else (node,):
        if isinstance(sub, ast.Constant) and isinstance(sub.value, str) and len(sub.value) < 300:
            for part in sub.value.replace("\\", "/").split("/"):
                role = PATH_ROLES.get(part.lower())
                if role:
                    found = role
    return found


# words that may stand beside a role token in a string key naming a split of the data
_KEY_WORDS = frozenset({"x", "y", "data", "dataset", "ds", "set", "split", "loader", "images", "labels",
                        "features", "targets", "inputs", "df", "samples", "texts"})


def key_role(key: str) -> str | None:
    """Role of a string subscript key: ``ds["test"]``, ``data["X_val"]``; not ``df["is_test"]``."""
    low = key.lower()
    if low in PATH_ROLES:
        return PATH_ROLES[low]
    role = role_from_name(key)
    if role and all(w in _KEY_WORDS or w in ROLE_WORDS for w in name_words(key)):
        return role
    return None
