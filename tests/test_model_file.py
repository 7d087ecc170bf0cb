"""Model files as an attacker or a failing disk writes them.

Whatever the bytes, ``Sequential.load`` returns a model or raises
``ModelFileError``: never another exception, never a pickle, never an
allocation larger than the file's arrays.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scratchnet.attention import vit
from scratchnet.layers import LAYER_TYPES
from scratchnet.model import META_KEY, ModelFileError, Sequential, mlp
from scratchnet.model_file import forward_cost

SMALL = mlp([4, 3, 2], seed=0)
FUZZ = settings(max_examples=300, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def saved(tmp_path_factory) -> bytes:
    return SMALL.save(tmp_path_factory.mktemp("m") / "small.npz").read_bytes()


def load_bytes(data: bytes, path: Path) -> Sequential | None:
    """Load ``data`` as a model file: the model, or None for a ModelFileError."""
    path.write_bytes(data)
    try:
        return Sequential.load(path)
    except ModelFileError:
        return None


def npz_bytes(arrays: dict[str, np.ndarray]) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def test_truncation_at_every_length_is_refused(saved, tmp_path):
    path = tmp_path / "cut.npz"
    for n in range(len(saved)):
        assert load_bytes(saved[:n], path) is None, f"{n} of {len(saved)} bytes"
    assert load_bytes(saved, path) is not None          # the control


@FUZZ
@given(flips=st.lists(st.tuples(st.integers(0, 10**6), st.integers(1, 255)),
                      min_size=1, max_size=4))
def test_flipped_bytes_give_a_model_or_a_model_file_error(flips, saved, tmp_path):
    data = bytearray(saved)
    for position, mask in flips:
        data[position % len(data)] ^= mask
    model = load_bytes(bytes(data), tmp_path / "flipped.npz")
    if model is not None:        # e.g. a flipped timestamp: harmless, but loaded
        x = np.ones((2, 4), np.float32)
        np.testing.assert_array_equal(model.predict(x), SMALL.predict(x))


JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-2**70, 2**70)
    | st.floats(allow_nan=True) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12)
FIELDS = ["in_features", "out_features", "in_channels", "out_channels",
          "kernel_size", "stride", "padding", "init", "p", "slope", "shape",
          "size", "rng"]
LAYER = st.fixed_dictionaries(
    {"type": st.sampled_from(sorted(LAYER_TYPES)) | st.text(max_size=8)},
    optional={name: st.integers(-3, 10**12) | JSON for name in FIELDS})


@settings(FUZZ, max_examples=100)
@given(layers=st.lists(LAYER, max_size=5), extra=JSON,
       keep_arrays=st.booleans())
def test_hostile_metadata_gives_a_model_or_a_model_file_error(
        layers, extra, keep_arrays, tmp_path):
    arrays = ({name: p.value for name, p in SMALL.named_parameters()}
              if keep_arrays else {"0.W": np.zeros((4, 3), np.float32)})
    meta = {"format": "scratchnet.Sequential", "version": 1, "layers": layers,
            "metadata": {"extra": extra}}
    arrays[META_KEY] = np.array(json.dumps(meta))
    model = load_bytes(npz_bytes(arrays), tmp_path / "hostile.npz")
    if model is not None:
        assert len(model) == len(layers)


@FUZZ
@given(index=st.integers(0, len(SMALL) - 1), field=st.sampled_from(FIELDS),
       value=st.integers(-3, 10**12) | JSON)
def test_one_hostile_field_in_real_layers_gives_a_model_or_an_error(
        index, field, value, tmp_path):
    """Past the shape check, into the layers' own constructors."""
    load_with_one_field(SMALL, index, field, value, tmp_path)


def file_with_one_field(model: Sequential, index: int, field: str,
                        value: object) -> bytes:
    """``model``'s file with ``field`` of layer ``index`` set to ``value``."""
    layers = [layer.config() for layer in model]
    layers[index][field] = value
    arrays = {name: p.value for name, p in model.named_parameters()}
    arrays[META_KEY] = np.array(json.dumps(
        {"format": "scratchnet.Sequential", "version": 1, "layers": layers}))
    return npz_bytes(arrays)


def load_with_one_field(model: Sequential, index: int, field: str, value: object,
                        tmp_path: Path) -> Sequential | None:
    """``file_with_one_field``, loaded: the same layers, or None for a
    ``ModelFileError``."""
    data = file_with_one_field(model, index, field, value)
    loaded = load_bytes(data, tmp_path / "field.npz")
    if loaded is not None:
        assert [type(layer) for layer in loaded] == [type(layer) for layer in model]
    return loaded


TINY_VIT = vit(patch=7, dim=8, depth=1, heads=2, hidden=8)
VIT_FIELDS = ["patch", "dim", "image", "heads", "hidden", "eps", "in_features",
              "out_features", "init"]


@FUZZ
@given(index=st.integers(0, len(TINY_VIT) - 1), field=st.sampled_from(VIT_FIELDS),
       value=st.integers(-3, 10**12) | JSON)
def test_one_hostile_field_in_a_transformer_gives_a_model_or_an_error(
        index, field, value, tmp_path):
    """The transformer's layers, each field of them hostile in turn: a model
    that still reads MNIST's rows, or a ``ModelFileError``; nothing else."""
    model = load_with_one_field(TINY_VIT, index, field, value, tmp_path)
    if model is not None:
        try:
            forward_cost("field.npz", [layer.config() for layer in model], 784)
        except ModelFileError:
            return
        logits = model.logits(np.zeros((2, 784), np.float32))
        assert logits.shape == (2, 10) and np.isfinite(logits).all()


@pytest.mark.parametrize("eps", [0, -1, -1e-9])
def test_a_layer_norm_that_would_divide_by_zero_is_refused(eps, tmp_path):
    """eps <= 0: the square root of a zero or negative variance, NaN logits."""
    norm = next(i for i, layer in enumerate(TINY_VIT)
                if type(layer).__name__ == "LayerNorm")
    path = tmp_path / "eps.npz"
    path.write_bytes(file_with_one_field(TINY_VIT, norm, "eps", eps))
    with pytest.raises(ModelFileError, match="eps must be a finite number > 0"):
        Sequential.load(path)


def test_claims_of_huge_layers_are_refused_without_building_them(tmp_path):
    meta = {"format": "scratchnet.Sequential", "version": 1, "metadata": {},
            "layers": [{"type": "Linear", "in_features": 10**6,
                        "out_features": 10**6}]}
    data = npz_bytes({"0.W": np.zeros((1, 1), np.float32),
                      "0.b": np.zeros(1, np.float32),
                      META_KEY: np.array(json.dumps(meta))})
    path = tmp_path / "claims.npz"
    path.write_bytes(data)
    # 4 TB if built first; the shapes are compared before anything exists.
    with pytest.raises(ModelFileError, match=r"needs float \(1000000, 1000000\)"):
        Sequential.load(path)


def test_an_npy_header_that_claims_terabytes_is_refused_before_reading(
        saved, tmp_path):
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        header, {"descr": "<f4", "fortran_order": False, "shape": (10**12,)})
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(saved)) as good, \
            zipfile.ZipFile(buffer, "w") as zf:
        for info in good.infolist():
            zf.writestr(info.filename, header.getvalue() + bytes(64)
                        if info.filename == "0.W.npy" else good.read(info))
    path = tmp_path / "liar.npz"
    path.write_bytes(buffer.getvalue())
    with pytest.raises(ModelFileError, match="declares a float32 array of shape "
                                             r"\(1000000000000,\)"):
        Sequential.load(path)


@pytest.mark.parametrize("value, message", [
    ('"' + "x" * (2 << 20) + '"', "longer than the 1,048,576 allowed"),
    ("[" * 40 + "]" * 40, "nested more than 32 levels deep"),
    ("[" * 100_000 + "]" * 100_000, "nested more than 32 levels deep"),
], ids=["long", "deep", "deeper-than-python"])
def test_metadata_is_bounded_in_size_and_depth(value, message, tmp_path):
    meta = ('{"format": "scratchnet.Sequential", "version": 1, "layers": [], '
            '"metadata": {"x": ' + value + "}}")
    path = tmp_path / "meta.npz"
    path.write_bytes(npz_bytes({META_KEY: np.array(meta)}))
    with pytest.raises(ModelFileError, match=message):
        Sequential.load(path)


def test_save_refuses_non_finite_weights_and_keeps_the_old_file(tmp_path):
    path = SMALL.save(tmp_path / "m.npz")
    before = path.read_bytes()
    broken = mlp([4, 3, 2], seed=1)
    broken[0].W.value[0, 0] = np.inf
    with pytest.raises(ValueError, match="parameter '0.W' contains NaN or inf"):
        broken.save(path)
    assert path.read_bytes() == before
