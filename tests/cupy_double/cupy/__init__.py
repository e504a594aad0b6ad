"""A strict stand-in for CuPy, so that the "cuda" cases of the tests run on machines without a GPU.

It computes with NumPy, but refuses what real CuPy refuses to code written for NumPy:

- device arrays are :class:`ndarray` objects of this module, not ``numpy.ndarray`` subclasses;
- no implicit way to the host: ``numpy.asarray(d)`` (and so matplotlib and Pillow) raises TypeError
  with CuPy's message; ``d.get()`` is the way;
- a host ``numpy.ndarray`` as an operand of an operator, a ufunc, a function or ``out=`` raises
  CuPy's TypeError, ``d[...] = host_array`` CuPy's ValueError (Python and NumPy scalars are fine, and
  host index arrays are allowed in indexing, as CuPy copies them);
- only the names real CuPy has exist (``cupy_api.json``, written from an installed CuPy by
  ``list_cupy_api.py`` beside this package); any other raises AttributeError naming it;
- reductions and integer indexing give 0-d device arrays, which ``float()``, ``int()``, ``bool()``
  and ``.item()`` accept; ufuncs refuse lists; ``unravel_index`` refuses a Python int, as CuPy does;
- ``random.default_rng`` draws a stream other than NumPy's for the same seed.

``tests/conftest.py`` puts this folder first on the import path when no real CuPy with a GPU is there.
"""
import json
import operator
import pathlib
import types

import numpy

__version__ = "stand-in"
STAND_IN = True

_API = json.loads((pathlib.Path(__file__).resolve().parents[1] / "cupy_api.json").read_text())
_NDARRAY_NAMES = set(_API["ndarray"])

_TO_HOST = ("Implicit conversion to a NumPy array is not allowed. "
            "Please use `.get()` to construct a NumPy array explicitly.")


def _unsupported(value):
    return TypeError(f"Unsupported type {type(value)}")


def _to_device_args(value, sequences=True):
    """Replace device arrays by the NumPy arrays behind them; refuse host arrays (and, for ufuncs,
    lists and tuples) as CuPy does."""
    if isinstance(value, ndarray):
        return value._a
    if isinstance(value, numpy.ndarray):
        raise _unsupported(value)
    if isinstance(value, (list, tuple)):
        if not sequences:
            raise _unsupported(value)
        return type(value)(_to_device_args(v) for v in value)
    return value


def _wrap(result):
    """NumPy results as device arrays: arrays and NumPy scalars (reductions give 0-d arrays)."""
    if isinstance(result, numpy.ndarray):
        return ndarray._of(result)
    if isinstance(result, numpy.generic):
        return ndarray._of(numpy.asarray(result))
    if isinstance(result, tuple):
        return tuple(_wrap(r) for r in result)
    if isinstance(result, list):
        return [_wrap(r) for r in result]
    return result


def _result(result, kwargs):
    """``_wrap(result)``, but a function given ``out=`` returns that very array, as CuPy's do."""
    out = kwargs.get("out")
    if isinstance(out, ndarray) and result is out._a:
        return out
    return _wrap(result)


def _index(key):
    """An index for the array behind: device arrays unwrapped; host index arrays allowed."""
    if isinstance(key, ndarray):
        return key._a
    if isinstance(key, tuple):
        return tuple(_index(k) for k in key)
    return key


def _operand(other):
    if isinstance(other, ndarray):
        return other._a
    if isinstance(other, (numpy.ndarray, list, tuple)):
        raise _unsupported(other)
    return other


class ndarray:
    """A device array: a NumPy array that only the stand-in's functions and methods may touch."""

    __array_ufunc__ = None      # NumPy's operators and ufuncs hand over to this class, which refuses host arrays
    __hash__ = None

    def __init__(self, shape, dtype=float):
        self._a = numpy.empty(shape, dtype=dtype)

    @classmethod
    def _of(cls, host):
        array = object.__new__(cls)
        array._a = host
        return array

    def __array__(self, *args, **kwargs):
        raise TypeError(_TO_HOST)

    def get(self, stream=None, order="C", out=None):
        """A NumPy copy on the host."""
        return numpy.array(self._a, order=order)

    def __getattr__(self, name):
        if name.startswith("__") or name not in _NDARRAY_NAMES or not hasattr(self._a, name):
            raise AttributeError(f"'cupy.ndarray' object has no attribute '{name}'")
        value = getattr(self._a, name)
        if not callable(value):
            return _wrap(value)

        def method(*args, **kwargs):
            return _wrap(value(*_to_device_args(args), **{k: _to_device_args(v) for k, v in kwargs.items()}))
        return method

    def __getitem__(self, key):
        return _wrap(self._a[_index(key)])

    def __setitem__(self, key, value):
        if isinstance(value, numpy.ndarray) and value.shape != ():
            raise ValueError("non-scalar numpy.ndarray cannot be used for fill")
        if isinstance(value, (list, tuple)):
            raise _unsupported(value)
        self._a[_index(key)] = value._a if isinstance(value, ndarray) else value

    def __len__(self):
        return len(self._a)

    def __iter__(self):
        for i in range(len(self._a)):
            yield self[i]

    def __float__(self):
        return float(self._a)

    def __int__(self):
        return int(self._a)

    def __index__(self):
        return operator.index(self._a)

    def __bool__(self):
        return bool(self._a)

    def __complex__(self):
        return complex(self._a)

    def __repr__(self):
        return repr(self._a)

    def __str__(self):
        return str(self._a)

    def __format__(self, spec):
        return format(self._a.item() if self._a.ndim == 0 else self._a, spec)


def _binary(name):
    numpy_op = getattr(operator, name)

    def op(self, other):
        return _wrap(numpy_op(self._a, _operand(other)))
    return op


def _reflected(name):
    numpy_op = getattr(operator, name)

    def op(self, other):
        return _wrap(numpy_op(_operand(other), self._a))
    return op


def _in_place(name):
    numpy_op = getattr(operator, name)

    def op(self, other):
        self._a = numpy_op(self._a, _operand(other))
        return self
    return op


def _unary(name):
    numpy_op = getattr(operator, name)

    def op(self):
        return _wrap(numpy_op(self._a))
    return op


for _name in ("add", "sub", "mul", "matmul", "truediv", "floordiv", "mod", "pow", "and", "or", "xor",
              "lshift", "rshift"):
    _function_name = _name + "_" if _name in ("and", "or") else _name       # operator.and_, operator.or_
    setattr(ndarray, f"__{_name}__", _binary(_function_name))
    setattr(ndarray, f"__r{_name}__", _reflected(_function_name))
    setattr(ndarray, f"__i{_name}__", _in_place(f"i{_name}"))
for _name in ("lt", "le", "eq", "ne", "gt", "ge"):
    setattr(ndarray, f"__{_name}__", _binary(_name))
for _name in ("neg", "pos", "abs", "invert"):
    setattr(ndarray, f"__{_name}__", _unary(_name))


class ufunc:
    """A NumPy ufunc that takes device arrays and scalars only, with CuPy's ufunc methods."""

    def __init__(self, numpy_ufunc):
        self._f = numpy_ufunc
        self.__name__ = numpy_ufunc.__name__

    def __call__(self, *args, **kwargs):
        args = [_to_device_args(a, sequences=False) for a in args]
        return _result(self._f(*args, **{k: _to_device_args(v) for k, v in kwargs.items()}), kwargs)

    def __getattr__(self, name):
        if name not in _API["ufunc"]:
            raise AttributeError(f"'cupy.ufunc' object has no attribute '{name}'")
        value = getattr(self._f, name)
        if not callable(value):
            return value
        return lambda *args, **kwargs: _wrap(value(*_to_device_args(args),
                                                   **{k: _to_device_args(v) for k, v in kwargs.items()}))


# Functions that move host data to the device: the only ones that take a host array.
_TRANSFERS = {"array", "asarray", "asanyarray"}
# Arguments that CuPy needs as arrays, refusing a Python scalar (NEP 50 casting rules).
_ARRAY_ONLY = {"unravel_index": 0}


def _function(name, numpy_function):
    def call(*args, **kwargs):
        if name in _TRANSFERS:
            if isinstance(args[0], ndarray):
                args = (args[0]._a,) + args[1:]
            return ndarray._of(numpy_function(*args, **kwargs))
        if name in _ARRAY_ONLY and isinstance(args[_ARRAY_ONLY[name]], (int, float, complex)):
            raise TypeError("can_cast() does not support Python ints, floats, and complex because the result "
                            "used to depend on the value.")
        args = _to_device_args(args)
        return _result(numpy_function(*args, **{k: _to_device_args(v) for k, v in kwargs.items()}), kwargs)
    call.__name__ = name
    return call


def _module(name, api_key, numpy_module, extra=None):
    """A submodule whose names are CuPy's (``_API[api_key]``), backed by ``numpy_module``."""
    module = types.ModuleType(f"cupy.{name}")
    module.__dict__.update(extra or {})

    def attribute(attr):
        if attr not in _API[api_key] or not hasattr(numpy_module, attr):
            raise AttributeError(f"module 'cupy.{name}' has no attribute '{attr}'"
                                 + ("" if attr not in _API[api_key] else " in the CuPy stand-in"))
        value = getattr(numpy_module, attr)
        return _function(attr, value) if callable(value) and not isinstance(value, type) else value
    module.__getattr__ = attribute
    return module


class _Generator:
    """``cupy.random.Generator``: CuPy's methods, a stream of its own (Philox, not NumPy's PCG64)."""

    def __init__(self, seed=None):
        self._g = numpy.random.Generator(numpy.random.Philox(seed))

    def __getattr__(self, name):
        if name not in _API["random.Generator"]:
            raise AttributeError(f"'cupy.random.Generator' object has no attribute '{name}'")
        method = getattr(self._g, name)
        return lambda *args, **kwargs: _wrap(method(*args, **kwargs))


class _Device:
    def __init__(self, device=None):
        self.id = 0 if device is None else int(device)

    def synchronize(self):
        """Nothing is queued: the stand-in computes as it is called."""

    @property
    def compute_capability(self):
        return "stand-in"

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


class _MemoryPool:
    """CuPy's memory pool, as far as the benchmark asks: the stand-in holds no pooled memory."""

    def total_bytes(self):
        return 0

    def used_bytes(self):
        return 0

    def free_all_blocks(self):
        pass


class CUDARuntimeError(RuntimeError):
    pass


_runtime = types.ModuleType("cupy.cuda.runtime")
_runtime.getDeviceCount = lambda: 1
_runtime.CUDARuntimeError = CUDARuntimeError
cuda = types.ModuleType("cupy.cuda")
cuda.runtime = _runtime
cuda.Device = _Device
cuda.is_available = lambda: True
random = _module("random", "random", numpy.random, {"default_rng": _Generator, "Generator": _Generator})
linalg = _module("linalg", "linalg", numpy.linalg)
lib = types.ModuleType("cupy.lib")
lib.stride_tricks = _module("lib.stride_tricks", "lib.stride_tricks", numpy.lib.stride_tricks)
_memory_pool = _MemoryPool()


def get_default_memory_pool():
    return _memory_pool


def is_available():
    return True


def asnumpy(a, stream=None, order="C", out=None):
    """A NumPy array with the contents of ``a`` (a device or host array)."""
    return a.get() if isinstance(a, ndarray) else numpy.asarray(a, order=order)


def get_array_module(*args):
    """This module if any argument is a device array, else NumPy."""
    import sys
    return sys.modules[__name__] if any(isinstance(a, ndarray) for a in args) else numpy


def __getattr__(name):
    kind = _API["cupy"].get(name)
    if kind is None:
        raise AttributeError(f"module 'cupy' has no attribute '{name}'")
    if not hasattr(numpy, name):
        raise AttributeError(f"module 'cupy' attribute '{name}' is not in the CuPy stand-in")
    value = getattr(numpy, name)
    if kind == "ufunc":
        value = ufunc(value)
    elif kind == "function":
        value = _function(name, value)
    globals()[name] = value
    return value
