"""Reading a model file that may be hostile: every claim is checked before it costs.

A saved model is a plain ``.npz`` archive: one array per parameter (``"0.W"``,
``"0.b"``, ...) and one JSON string (``META_KEY``) with the format version and
every layer's config. This module reads it without ``np.load``, in an order
that lets nothing in the file decide how much we allocate:

1. the path must be a regular file (a FIFO or a device would block or never end);
2. the metadata is read first, bounded in size, depth and every number;
3. from the layers it describes follow the names and shapes of the arrays,
   so an archive member that is not one of them is refused by name, unread;
4. each array's ``.npy`` header must declare exactly the expected shape before
   its bytes are read, and all of them together may inflate to no more than
   ``MAX_INFLATION`` times the file (and never more than ``MAX_ARRAY_BYTES``).

Nothing is unpickled, so opening a model file can never run code. Peak
memory while loading is a few times the arrays the file holds.

``forward_cost`` bounds what a model asks of each input row (values held at
once, multiply-adds): the command line calls it before evaluating a model
on MNIST, and sizes its batches by it.
"""

from __future__ import annotations

import json
import math
import os
import zipfile
import zlib
from dataclasses import dataclass
from typing import IO, Any

import numpy as np

from scratchnet.atomic import NotRegularFileError, open_regular
from scratchnet.layers import ACTIVATIONS, LAYER_TYPES, Layer, layer_from_config

FORMAT = "scratchnet.Sequential"
FORMAT_VERSION = 1
META_KEY = "__scratchnet__"
MAX_ARRAY_BYTES = 1 << 30
"""Largest total size of a model file's arrays: 1 GiB, ten times the largest
network of the book, and far from what a hostile file could make us take."""
MAX_INFLATION = 16
"""Arrays may inflate to at most this many times the file's size (plus
``SLACK_BYTES``): trained weights barely compress, so a real model is far
below it, while a zip bomb is far above."""
SLACK_BYTES = 1 << 20
MAX_META_CHARS = 1 << 20
"""A real model's metadata is a few kilobytes; a megabyte is plenty."""
MAX_META_DEPTH = 32
"""Deepest nesting of lists and objects accepted in the metadata."""
MAX_LAYERS = 256
"""The book's deepest network has a dozen layers."""
MAX_CONFIG_INT = 1 << 31
"""Largest magnitude of a whole number in a layer config (a width, a padding)."""
MAX_SAMPLE_VALUES = 1 << 22
"""Most values (4 Mi, 16 MB in float32) one input row may occupy at any layer."""
MAX_SAMPLE_FLOPS = 1 << 28
"""Most multiply-adds per input row: as many as the largest allowed ``Linear``."""


class ModelFileError(ValueError):
    """A model file that cannot be trusted: truncated, corrupted or tampered with."""


def short(obj: object, limit: int = 200) -> str:
    """``str(obj)`` cut to ``limit`` characters: a hostile file writes long names."""
    text = str(obj)
    return text if len(text) <= limit else text[:limit] + "..."


def meta_json(path: str | os.PathLike[str], meta: dict[str, Any]) -> str:
    """``meta`` as JSON text, or a ValueError naming why it cannot be saved.

    NaN and inf are refused (``allow_nan=False``): JSON cannot hold them, so
    the model could not be exported, and a reader other than Python's would
    choke on it. NumPy scalars and arrays become numbers and lists.
    """
    try:
        return json.dumps(meta, default=_to_json, allow_nan=False)
    except (TypeError, ValueError) as err:
        raise type(err)(f"refusing to save {path}: its metadata cannot be "
                        f"written as JSON: {short(err)}") from err


def _to_json(obj: Any) -> Any:
    if isinstance(obj, (np.generic, np.ndarray)):
        return obj.tolist()
    raise TypeError(f"metadata must be JSON-serialisable, got {type(obj).__name__}")


def read(path: str | os.PathLike[str]) -> tuple[list[Layer], dict[str, Any]]:
    """The layers (parameters filled in) and the user metadata of a model file.

    Raises ``ModelFileError`` naming what is wrong when the file is not a
    complete, consistent scratchnet model; ``OSError`` (missing, a directory,
    unreadable) passes through.
    """
    with _open_regular(path) as f:
        head = f.read(6)
        size = os.fstat(f.fileno()).st_size
        _check_head(path, head)
        try:
            with zipfile.ZipFile(f) as zf:
                meta = _read_meta(path, zf)
                configs = meta["layers"]
                expected = _expected_shapes(path, configs)
                arrays = _read_arrays(path, zf, expected, size,
                                      [c["type"] for c in configs])
        except (OSError, ValueError, EOFError, KeyError, NotImplementedError,
                zipfile.BadZipFile, zlib.error) as err:
            if isinstance(err, ModelFileError):
                raise
            raise ModelFileError(f"{path} is not a readable .npz model file "
                                 f"(truncated or corrupted?): {short(err)}") from err
    try:
        layers = [layer_from_config(c) for c in configs]
    except (KeyError, TypeError, ValueError, OverflowError) as err:
        raise ModelFileError(f"{path}: invalid layer config: {short(err)}") from err
    for i, layer in enumerate(layers):
        for p in layer.parameters():
            name = f"{i}.{p.name}"
            with np.errstate(over="ignore"):
                p.value[...] = arrays.pop(name)
            if not np.isfinite(p.value).all():
                raise ModelFileError(
                    f"{path}: array {name!r} contains NaN, inf or values beyond "
                    f"the range of {p.value.dtype}")
    return layers, meta.get("metadata") or {}


def _open_regular(path: str | os.PathLike[str]) -> IO[bytes]:
    try:
        return open_regular(path)
    except NotRegularFileError as err:
        raise ModelFileError(f"{path} {err.strerror}: not a model file") from None


def _check_head(path: str | os.PathLike[str], head: bytes) -> None:
    if head == b"\x93NUMPY":
        raise ModelFileError(f"{path} is a single .npy array, not an .npz "
                             "model file")
    if head[:4] != b"PK\x03\x04":
        what = "it is empty" if not head else "it does not start like one"
        raise ModelFileError(f"{path} is not a scratchnet model file: a model "
                             f"is an .npz (zip) archive, and {what}")


def _member(path: str | os.PathLike[str], zf: zipfile.ZipFile,
            name: str) -> zipfile.ZipInfo:
    infos = [i for i in zf.infolist() if i.filename == name + ".npy"]
    if len(infos) != 1:
        raise ModelFileError(f"{path}: {len(infos)} entries {name + '.npy'!r}; "
                             "expected exactly one")
    info = infos[0]
    if info.flag_bits & 0x1:
        raise ModelFileError(f"{path}: entry {name!r} is encrypted")
    return info


def _open_array(path: str | os.PathLike[str], zf: zipfile.ZipFile,
                info: zipfile.ZipInfo) -> tuple[IO[bytes], tuple[int, ...], np.dtype]:
    """The open entry, positioned after its ``.npy`` header, and what it declares."""
    name = short(info.filename)
    f = zf.open(info)
    try:
        version = np.lib.format.read_magic(f)
        if version not in ((1, 0), (2, 0)):
            raise ModelFileError(f"{path}: entry {name!r} has .npy format "
                                 f"version {version}; expected 1.0 or 2.0")
        read_header = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                       else np.lib.format.read_array_header_2_0)
        shape, fortran, dtype = read_header(f)
        need = f.tell() + math.prod(shape) * dtype.itemsize
        if dtype.hasobject or fortran or need != info.file_size:
            raise ModelFileError(
                f"{path}: entry {name!r} declares a {dtype} array of shape "
                f"{short(shape)} ({need:,} bytes with its header), but holds "
                f"{info.file_size:,} bytes")
        return f, shape, dtype
    except BaseException:
        f.close()
        raise


def _read_payload(f: IO[bytes], shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
    """The array whose header ``f`` was just read (its size already checked)."""
    count = math.prod(shape)
    raw = f.read(count * dtype.itemsize)
    if len(raw) != count * dtype.itemsize:
        raise EOFError("the array ends early")
    return np.frombuffer(raw, dtype=dtype, count=count).reshape(shape)


def _read_meta(path: str | os.PathLike[str], zf: zipfile.ZipFile) -> dict[str, Any]:
    if not any(i.filename == META_KEY + ".npy" for i in zf.infolist()):
        raise ModelFileError(f"{path} has no scratchnet metadata ({META_KEY!r}); "
                             "was it written by Sequential.save()?")
    info = _member(path, zf, META_KEY)
    if info.file_size > 4 * MAX_META_CHARS + 1024:     # UTF-32 and a header
        raise ModelFileError(f"{path}: metadata ({info.file_size:,} bytes) is "
                             f"longer than the {MAX_META_CHARS:,} allowed")
    f, shape, dtype = _open_array(path, zf, info)
    with f:
        if dtype.kind != "U" or shape != ():
            raise ModelFileError(f"{path} has no scratchnet metadata "
                                 f"({META_KEY!r}); was it written by "
                                 "Sequential.save()?")
        text = str(_read_payload(f, shape, dtype)[()])
    return parse_meta(path, text)


def parse_meta(path: str | os.PathLike[str], text: str) -> dict[str, Any]:
    """The checked metadata of a model file from its JSON text."""
    if len(text) > MAX_META_CHARS:
        raise ModelFileError(f"{path}: metadata of {len(text):,} characters is "
                             f"longer than the {MAX_META_CHARS:,} allowed")
    try:
        meta = json.loads(text)
    except RecursionError:
        meta = None   # nested deeper than Python's parser goes: refused below
    except ValueError as err:   # JSONDecodeError, or an integer of 4,300+ digits
        raise ModelFileError(f"{path}: metadata is not valid JSON: "
                             f"{short(err)}") from err
    if meta is None or _depth(meta) > MAX_META_DEPTH:
        raise ModelFileError(f"{path}: metadata is nested more than "
                             f"{MAX_META_DEPTH} levels deep")
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise ModelFileError(f"{path}: not a {FORMAT} file")
    if meta.get("version") != FORMAT_VERSION:
        raise ModelFileError(
            f"{path} uses model format version {short(repr(meta.get('version')))}; "
            f"this scratchnet reads version {FORMAT_VERSION}")
    layers = meta.get("layers")
    if not isinstance(layers, list) or not layers:
        raise ModelFileError(f"{path}: metadata has no list of layers")
    if len(layers) > MAX_LAYERS:
        raise ModelFileError(f"{path}: {len(layers):,} layers, more than the "
                             f"{MAX_LAYERS} a model may have")
    if not isinstance(meta.get("metadata", {}), dict):
        raise ModelFileError(f"{path}: its user metadata is not a JSON object")
    for i, config in enumerate(layers):
        _check_config(path, i, config)
    return meta


def _depth(obj: Any) -> int:
    """How deeply lists and dicts nest in ``obj``; without recursion, so any depth."""
    deepest, stack = 0, [(obj, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (list, dict)):
            deepest = max(deepest, depth)
            stack.extend((child, depth + 1) for child in
                         (item.values() if isinstance(item, dict) else item))
    return deepest


def _check_config(path: str | os.PathLike[str], i: int, config: Any) -> None:
    """A layer config: a known type, and every number in it finite and of
    reasonable size (a width of 10**4000 or a NaN slope is refused here)."""
    kind = config.get("type") if isinstance(config, dict) else None
    if not isinstance(kind, str) or kind not in LAYER_TYPES:
        raise ModelFileError(
            f"{path}: layer {i}: unknown layer type {short(repr(kind))}; known "
            f"types: {', '.join(sorted(LAYER_TYPES))}")
    stack: list[tuple[str, Any]] = list(config.items())
    while stack:
        key, value = stack.pop()
        if isinstance(value, list):
            stack.extend((key, v) for v in value)
        elif isinstance(value, bool) or value is None or isinstance(value, str):
            continue
        elif isinstance(value, int) and abs(value) > MAX_CONFIG_INT:
            raise ModelFileError(f"{path}: layer {i} ({kind}): {short(key)} is "
                                 f"{len(str(abs(value)))} digits long")
        elif isinstance(value, float) and not math.isfinite(value):
            raise ModelFileError(f"{path}: layer {i} ({kind}): {short(key)} is "
                                 f"{value}")


def _expected_shapes(path: str | os.PathLike[str],
                     configs: list[dict[str, Any]]) -> dict[str, tuple[int, ...]]:
    """Each parameter array the layers need: name -> shape, computed without
    building a layer (``Layer.parameter_shapes``)."""
    expected: dict[str, tuple[int, ...]] = {}
    for i, config in enumerate(configs):
        try:
            shapes = LAYER_TYPES[config["type"]].parameter_shapes(config)
            shapes = {name: tuple(int(d) for d in shape)
                      for name, shape in shapes.items()}
        except (KeyError, TypeError, ValueError, ArithmeticError) as err:
            # ArithmeticError: a patch of 0 pixels divides by zero
            raise ModelFileError(f"{path}: layer {i}: invalid layer config: "
                                 f"{short(err)}") from err
        for name, shape in shapes.items():
            if min(shape, default=1) < 1:
                raise ModelFileError(f"{path}: layer {i}: parameter {name!r} "
                                     f"would have shape {short(shape)}")
            expected[f"{i}.{name}"] = shape
    return expected


def _read_arrays(path: str | os.PathLike[str], zf: zipfile.ZipFile,
                 expected: dict[str, tuple[int, ...]], size: int,
                 kinds: list[str]) -> dict[str, np.ndarray]:
    """The parameter arrays, once names, sizes and headers are proven plausible."""
    wanted = {name + ".npy" for name in expected} | {META_KEY + ".npy"}
    for info in zf.infolist():
        if info.filename not in wanted:
            raise ModelFileError(
                f"{path}: unexpected entry {short(info.filename)!r}: a model with "
                f"these layers holds only {short(', '.join(sorted(expected)))}"
                " (refused unread)")
    missing = sorted(n for n in expected
                     if not any(i.filename == n + ".npy" for i in zf.infolist()))
    if missing:
        raise ModelFileError(f"{path}: the arrays do not match the layers: "
                             f"missing {short(missing)}")
    infos = {name: _member(path, zf, name) for name in expected}
    total = sum(info.file_size for info in zf.infolist())
    limit = min(MAX_ARRAY_BYTES, MAX_INFLATION * size + SLACK_BYTES)
    if total > limit:
        raise ModelFileError(
            f"{path} claims {total:,} bytes of arrays, more than the {limit:,} a "
            f"model file of {size:,} bytes may hold (at most {MAX_INFLATION} "
            f"times its size, and {MAX_ARRAY_BYTES:,})")
    for name, info in infos.items():
        if info.compress_type == zipfile.ZIP_STORED and (
                info.compress_size != info.file_size
                or info.header_offset + info.compress_size > size):
            raise ModelFileError(f"{path}: entry {short(name)!r} claims more bytes "
                                 "than the file holds (truncated?)")
    arrays = {}
    for name, shape in expected.items():
        f, declared, dtype = _open_array(path, zf, infos[name])
        with f:
            if declared != shape or dtype.kind != "f":
                i = int(name.split(".")[0])
                raise ModelFileError(
                    f"{path}: array {name!r} is {dtype} {short(declared)}, but "
                    f"layer {i} ({kinds[i]}) needs float {short(shape)}")
            arrays[name] = _read_payload(f, shape, dtype)
    return arrays


@dataclass(frozen=True)
class Cost:
    """What one input row costs a model: values held at once, multiply-adds."""

    values: int
    flops: int
    outputs: int

    def batch_size(self, budget_bytes: int = 256 << 20, largest: int = 1000) -> int:
        """Rows per batch so that a batch's activations stay within ``budget_bytes``
        (three float64 copies of the largest per-row working set)."""
        return max(1, min(largest, budget_bytes // (24 * max(self.values, 1))))


def forward_cost(path: str | os.PathLike[str], configs: list[dict[str, Any]],
                 n_features: int) -> Cost:
    """The cost of one row of ``n_features`` values through the layers ``configs``.

    Follows the shapes layer by layer, as ``forward`` would, without running
    it. Raises ``ModelFileError`` if a layer cannot take what the one before
    gives, or if a row would need more than ``MAX_SAMPLE_VALUES`` values or
    ``MAX_SAMPLE_FLOPS`` multiply-adds.
    """
    shape: tuple[int, ...] = (n_features,)
    peak, flops = n_features, 0
    elementwise = ({cls.__name__ for cls in ACTIVATIONS.values()}
                   | {"Dropout", "GELU"})
    for i, c in enumerate(configs):
        kind = c["type"]
        try:
            shape, work, held = _layer_cost(kind, c, shape, elementwise)
        except (KeyError, TypeError, ValueError) as err:
            raise ModelFileError(f"{path}: this model cannot read rows of "
                                 f"{n_features} values: layer {i} ({kind}): "
                                 f"{short(err)}") from err
        flops += work
        peak = max(peak, held, math.prod(shape))
        if peak > MAX_SAMPLE_VALUES or flops > MAX_SAMPLE_FLOPS:
            raise ModelFileError(
                f"{path}: layer {i} ({kind}) would take {peak:,} values and "
                f"{flops:,} multiply-adds per input row; a model may take at "
                f"most {MAX_SAMPLE_VALUES:,} and {MAX_SAMPLE_FLOPS:,}")
    if len(shape) != 1:
        raise ModelFileError(f"{path}: the model's output per row has shape "
                             f"{shape}, not a vector of class scores")
    return Cost(values=peak, flops=flops, outputs=shape[0])


def _layer_cost(kind: str, c: dict[str, Any], shape: tuple[int, ...],
                elementwise: set[str]) -> tuple[tuple[int, ...], int, int]:
    """(output shape, multiply-adds, values held) of one layer for one row."""
    if kind in elementwise:
        return shape, math.prod(shape), math.prod(shape)
    if kind == "Linear":
        n_in, n_out = int(c["in_features"]), int(c["out_features"])
        if shape != (n_in,):
            raise ValueError(f"it needs rows of {n_in} values, gets {shape}")
        return (n_out,), n_in * n_out, n_in + n_out
    if kind == "Reshape":
        new = tuple(int(d) for d in c["shape"])
        if math.prod(new) != math.prod(shape):
            raise ValueError(f"{shape} cannot be reshaped to {new}")
        return new, 0, math.prod(new)
    if kind == "Flatten":
        if len(shape) < 1:
            raise ValueError("nothing to flatten")
        return (math.prod(shape),), 0, math.prod(shape)
    if kind in ("Conv2D", "MaxPool2D"):
        if len(shape) != 3:
            raise ValueError(f"it needs (channels, height, width), gets {shape}")
        ch, h, w = shape
        if kind == "Conv2D":
            k = c["kernel_size"]
            kh, kw = (k, k) if isinstance(k, int) else (int(k[0]), int(k[1]))
            s, p = int(c.get("stride", 1)), int(c.get("padding", 0))
            if int(c["in_channels"]) != ch:
                raise ValueError(f"it needs {c['in_channels']} channels, gets {ch}")
            c_out = int(c["out_channels"])
        else:
            kh = kw = int(c.get("size", 2))
            s, p, c_out = int(c.get("stride") or kh), 0, ch
        if min(kh, kw, s) < 1 or p < 0:
            raise ValueError("sizes must be positive")
        ho, wo = (h + 2 * p - kh) // s + 1, (w + 2 * p - kw) // s + 1
        if ho < 1 or wo < 1:
            raise ValueError(f"the input {h}x{w} is smaller than the window")
        padded = ch * (h + 2 * p) * (w + 2 * p)
        cols = ho * wo * kh * kw * ch
        per_out = kh * kw * (ch if kind == "Conv2D" else 1)
        return (c_out, ho, wo), ho * wo * c_out * per_out, padded + cols
    if kind in TOKEN_LAYERS:
        return _token_cost(kind, c, shape)
    raise ValueError(f"scratchnet cannot bound the cost of a {kind} layer")


TOKEN_LAYERS = ("PatchEmbedding", "LayerNorm", "MultiHeadSelfAttention",
                "TransformerBlock", "MeanPool")
"""The transformer's layers (``attention``) whose shapes are ``(tokens, dim)``."""


def _token_cost(kind: str, c: dict[str, Any],
                shape: tuple[int, ...]) -> tuple[tuple[int, ...], int, int]:
    """``_layer_cost`` of a transformer layer: a row of tokens, ``(T, D)``."""
    if kind == "PatchEmbedding":
        p, d, image = int(c["patch"]), int(c["dim"]), int(c.get("image", 28))
        if min(p, d, image) < 1 or image % p:
            raise ValueError("sizes must be positive, the patch a divisor of the image")
        if shape != (image * image,):
            raise ValueError(f"it needs rows of {image * image} pixels, gets {shape}")
        tokens = (image // p) ** 2
        return (tokens, d), tokens * p * p * d, 2 * image * image + tokens * d
    if len(shape) != 2:
        raise ValueError(f"it needs tokens (tokens, dim), gets {shape}")
    t, d = shape
    if kind == "MeanPool":
        return (d,), t * d, t * d
    if int(c["dim"]) != d:
        raise ValueError(f"it needs tokens of {c['dim']} numbers, gets {d}")
    if kind == "LayerNorm":
        return shape, 3 * t * d, 2 * t * d
    heads = int(c["heads"])
    if heads < 1:
        raise ValueError("heads must be positive")
    # q, k, v and the output projection, then scores and weights per head
    flops, held = 4 * t * d * d + 2 * t * t * d, 5 * t * d + heads * t * t
    if kind == "TransformerBlock":
        hidden = int(c["hidden"])
        if hidden < 1:
            raise ValueError("hidden must be positive")
        flops, held = flops + 2 * t * d * hidden, held + 2 * t * hidden
    return shape, flops, held
