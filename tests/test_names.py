"""analysis.names: role tokens in names, and the caches the walker asks them through."""
import pytest

from flake8_dlpractice.analysis.names import data_role, memoised, role_from_name, use_extra_tokens


@pytest.mark.parametrize("name, role, data", [
    ("X_test", "test", "test"), ("valLoader", "val", "val"), ("xtrain", "train", "train"),
    ("HOLDOUT", "test", "test"), ("X_te", None, "test"), ("va_paths", None, "val"),
    ("f_test", None, None), ("train_val_split", None, None),
    # no role spelling anywhere in the name: decided without splitting it into words
    ("model", None, None), ("optimizer", None, None), ("images", None, None), ("Xs", None, None),
])
def test_role_of_a_name(name, role, data):
    assert (role_from_name(name), data_role(name)) == (role, data)


def test_project_tokens_need_no_built_in_spelling():
    use_extra_tokens({"holdback": "test"})
    try:
        assert data_role("holdback_imgs") == "test"
        assert role_from_name("holdback") == "test"
    finally:
        use_extra_tokens({})
    assert data_role("holdback_imgs") is None


def test_memoised_is_emptied_when_full():
    computed = []

    @memoised(2)
    def double(x):
        computed.append(x)
        return 2 * x

    assert [double(x) for x in (1, 2, 1, 3, 1)] == [2, 4, 2, 6, 2]
    assert computed == [1, 2, 3, 1]  # 1 and 2 cached; 3 empties the full cache, so 1 is computed again
    assert double.cache_info().currsize <= 2
