"""The one safe way a model file is opened. A model file is untrusted input: a pickle can
call any function while it is read, and NVIDIA's network pickles carry their module source
as strings that NVIDIA's own loader executes. Nothing here imports or executes anything a
file names or contains.

- ``load_network_pickle``: a restricted unpickler that resolves only the few callables
  such files need (tensor and storage rebuilds, OrderedDict, numpy scalars and arrays,
  EasyDict as a dict) and maps NVIDIA's persistence reconstructor to ``PersistentObject``
  (plain data: the class name and the object's state; the module source is kept as text and
  never run). Any other global is refused with one line naming it.
- ``load_torch_weights``: ``torch.load(weights_only=True)``, torch's own restricted
  unpickler, for ``.bin`` / ``.pt`` state dicts.
"""

from __future__ import annotations

import _compat_pickle
import codecs
import collections
import io
import pickle
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from app.core.errors import UserError, describe

try:
    from numpy._core import multiarray
except ImportError:  # numpy < 2
    from numpy.core import multiarray  # type: ignore[no-redef]

# refuse files larger than this before reading them whole (the largest published StyleGAN
# pickles, 1024x1024 with D and G, are ~380 MB)
MAX_MODEL_BYTES = 4 * 1024**3


class ModelRefused(UserError):
    """A model file asked for something latentvj never does (a global outside the list)."""


@dataclass
class PersistentObject:
    """What NVIDIA's ``torch_utils.persistence`` pickled: a class name and the object's
    state (for a torch module its ``__dict__``: ``_parameters``, ``_buffers``, ``_modules``,
    ``_init_kwargs`` and plain attributes). ``module_source`` is text, never executed."""

    class_name: str
    state: dict[str, Any]
    module_source: str = field(repr=False, default="")

    def attr(self, name: str, default: Any = None) -> Any:
        return self.state.get(name, default)

    @property
    def parameters(self) -> dict[str, torch.Tensor | None]:
        return self.state.get("_parameters") or {}

    @property
    def buffers(self) -> dict[str, torch.Tensor | None]:
        return self.state.get("_buffers") or {}

    @property
    def modules(self) -> dict[str, Any]:
        return self.state.get("_modules") or {}

    def tensor(self, name: str) -> torch.Tensor | None:
        """A parameter or buffer by name (None when absent or stored as None)."""
        if name in self.parameters:
            return self.parameters[name]
        return self.buffers.get(name)

    def child(self, name: str) -> "PersistentObject":
        module = self.modules.get(name)
        if not isinstance(module, PersistentObject):
            raise KeyError(f"{self.class_name} has no sub-network '{name}'")
        return module


def _reconstruct_persistent(meta: Any) -> PersistentObject:
    """Stands in for ``torch_utils.persistence._reconstruct_persistent_obj``: returns the
    pickled object as data instead of executing its module source."""
    if (
        not isinstance(meta, dict)
        or meta.get("type") != "class"
        or not isinstance(meta.get("class_name"), str)
    ):
        raise pickle.UnpicklingError("a persistent object without a class record")
    state = meta.get("state")
    return PersistentObject(
        meta["class_name"],
        state if isinstance(state, dict) else {},
        str(meta.get("module_src", "")),
    )


class EasyDict(dict):
    """``dnnlib.EasyDict`` read as a plain dict (attribute access only, no code)."""

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


def _storage_from_bytes(data: bytes) -> Any:
    """``torch.storage._load_from_bytes`` (how a storage pickles itself), read with torch's
    weights-only unpickler instead of a full one."""
    return torch.load(io.BytesIO(data), weights_only=True, map_location="cpu")


def _numpy_scalar(dtype: np.dtype, data: Any = None) -> Any:
    if dtype.hasobject:
        raise pickle.UnpicklingError("a numpy object scalar")
    return multiarray.scalar(dtype, data) if data is not None else multiarray.scalar(dtype)


def _numpy_reconstruct(subtype: Any, shape: Any, dtype: Any) -> np.ndarray:
    if subtype is not np.ndarray:
        raise pickle.UnpicklingError("a numpy array subclass")
    return np.ndarray.__new__(np.ndarray, shape, dtype)


def _numpy_dtype(*args: Any) -> np.dtype:
    dtype = np.dtype(*args)
    if dtype.hasobject:
        raise pickle.UnpicklingError("a numpy object dtype")
    return dtype


_NUMPY_CORES = ("numpy.core.multiarray", "numpy._core.multiarray")
ALLOWED_GLOBALS: dict[tuple[str, str], Any] = {
    ("torch_utils.persistence", "_reconstruct_persistent_obj"): _reconstruct_persistent,
    ("collections", "OrderedDict"): collections.OrderedDict,
    ("torch._utils", "_rebuild_tensor_v2"): torch._utils._rebuild_tensor_v2,
    ("torch._utils", "_rebuild_parameter"): torch._utils._rebuild_parameter,
    ("torch.storage", "_load_from_bytes"): _storage_from_bytes,
    ("dnnlib.util", "EasyDict"): EasyDict,
    ("dnnlib", "EasyDict"): EasyDict,
    ("numpy", "dtype"): _numpy_dtype,
    ("numpy", "ndarray"): np.ndarray,
    # what protocol 2 pickles use for bytes and sets (older Python's default)
    ("_codecs", "encode"): codecs.encode,
    ("builtins", "set"): set,
    ("builtins", "frozenset"): frozenset,
    **{(core, "scalar"): _numpy_scalar for core in _NUMPY_CORES},
    **{(core, "_reconstruct"): _numpy_reconstruct for core in _NUMPY_CORES},
}


class _RestrictedUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        # protocol 0-2 files name Python 2 modules ('commands' for subprocess): read them
        # as Python 3 does, so a refusal names what the file would really have called
        module, name = _compat_pickle.NAME_MAPPING.get((module, name), (module, name))
        module = _compat_pickle.IMPORT_MAPPING.get(module, module)
        allowed = ALLOWED_GLOBALS.get((module, name))
        if allowed is None:
            raise ModelRefused(f"refused: the file calls {module}.{name}")
        return allowed

    def persistent_load(self, pid: Any) -> Any:
        raise ModelRefused("refused: the file uses persistent ids (not a network pickle)")


def _check_size(path: Path) -> None:
    if not path.is_file():
        raise UserError(f"{path}: not found" if not path.exists() else f"{path}: not a file")
    size = path.stat().st_size
    if size > MAX_MODEL_BYTES:
        raise UserError(f"{path}: {size / 1e9:.1f} GB, larger than any network latentvj plays")


def load_network_pickle(path: str | Path) -> Any:
    """The unpickled content of an NVIDIA network pickle as plain data (dicts, tensors,
    ``PersistentObject``s). Raises UserError ``"<path>: refused: the file calls X.Y"`` for
    any other global, and one line naming the file for a truncated or corrupt one."""
    path = Path(path)
    _check_size(path)
    data = path.read_bytes()
    try:
        return _RestrictedUnpickler(io.BytesIO(data)).load()
    except ModelRefused as exc:
        raise ModelRefused(f"{path}: {exc}") from None
    except EOFError:
        raise UserError(f"{path}: truncated (the pickle ends early)") from None
    except (
        pickle.UnpicklingError,
        ValueError,
        TypeError,
        AttributeError,
        IndexError,
        KeyError,
        RuntimeError,
        UnicodeDecodeError,
        MemoryError,
        OverflowError,
    ) as exc:
        raise UserError(f"{path}: not a readable network pickle ({describe(exc)})") from None


def load_torch_weights(path: str | Path) -> dict[str, torch.Tensor]:
    """A state dict saved with ``torch.save`` (``pytorch_model.bin``, ``.pt``), read with
    torch's weights-only unpickler: tensors and plain containers, nothing callable."""
    path = Path(path)
    _check_size(path)
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        raise ModelRefused(f"{path}: refused: {describe(exc)}") from None
    except (EOFError, RuntimeError, zipfile.BadZipFile, ValueError, OSError) as exc:
        raise UserError(f"{path}: not a readable torch weights file ({describe(exc)})") from None
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise UserError(f"{path}: not a state dict (a mapping of names to tensors)")
    return state


def check_weights(where: str, model: torch.nn.Module, state: object) -> None:
    """UserError starting with ``where`` unless ``state`` is a state dict with exactly
    ``model``'s tensors at their shapes (so loading it cannot fail half-way)."""
    if not isinstance(state, dict):
        raise UserError(f"{where}: no generator weights")
    expected = model.state_dict()
    for key, tensor in expected.items():
        if key not in state:
            raise UserError(f"{where}: weights do not match its config (missing '{key}')")
        found = state[key]
        if not isinstance(found, torch.Tensor) or tuple(found.shape) != tuple(tensor.shape):
            shape = tuple(found.shape) if isinstance(found, torch.Tensor) else type(found).__name__
            raise UserError(f"{where}: weights do not match its config ('{key}' has shape "
                            f"{shape}, expected {tuple(tensor.shape)})")  # fmt: skip
    unexpected = sorted(set(state) - set(expected))
    if unexpected:
        raise UserError(f"{where}: weights do not match its config (unexpected '{unexpected[0]}')")
