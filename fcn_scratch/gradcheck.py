"""Gradient checking: compare a hand-written backward with central differences.

For a scalar function ``f`` of an array ``x``, the central difference

    df/dx_i  ~  (f(x + h e_i) - f(x - h e_i)) / (2h)

has an error of order ``h^2`` (the ``h`` terms cancel), against ``h`` for
the one-sided difference. It needs float64: in float32 the rounding of
``f`` (about 1e-7 relative) divided by ``2h`` swamps the answer.

The error reported is ``max_i |a_i - n_i| / max(max|a|, max|n|)``: the
worst entry, measured against the largest gradient entry. Unlike an
entry-by-entry ratio it does not blow up on entries whose true gradient is
zero (inactive ReLUs, non-maximal pooling inputs), where a numerical
difference leaves a 1e-10 of rounding noise.
"""
from . import backend
from .errors import InputError


def numerical_gradient(f, x, eps=1e-6, entries=None):
    """Central-difference gradient of the scalar ``f()`` with respect to array ``x``.

    ``x`` is perturbed in place, one entry at a time, and restored; ``f`` must
    read it on each call. x: any shape, float64 -> gradient of the same shape.
    ``entries`` (flat indices) limits the work to those entries; the others are left 0.
    """
    if x.dtype.kind != "f" or x.dtype.itemsize < 8:
        raise TypeError(f"gradient checks need float64 arrays, got {x.dtype}")
    if not x.flags.c_contiguous:
        raise InputError("numerical_gradient needs a C-contiguous array (it perturbs it through a flat view)")
    xp = backend.get_array_module(x)
    grad = xp.zeros_like(x)
    flat, gflat = x.reshape(-1), grad.reshape(-1)
    for i in (range(flat.size) if entries is None else entries):
        i = int(i)
        old = float(flat[i])
        flat[i] = old + eps
        f_plus = float(f())
        flat[i] = old - eps
        f_minus = float(f())
        flat[i] = old
        gflat[i] = (f_plus - f_minus) / (2 * eps)
    return grad


def relative_error(analytic, numeric):
    """``(error, index)``: the worst ``|a - n|`` over ``max(max|a|, max|n|)``, and where it is."""
    xp = backend.get_array_module(analytic)
    if tuple(analytic.shape) != tuple(numeric.shape):
        raise InputError(f"gradient shapes differ: {tuple(analytic.shape)} vs {tuple(numeric.shape)}")
    if analytic.size == 0:
        return 0.0, ()
    diff = xp.abs(analytic - numeric)
    scale = max(float(xp.abs(analytic).max()), float(xp.abs(numeric).max()))
    worst = int(diff.argmax())
    index = _unravel(worst, diff.shape)
    if scale == 0.0:
        return 0.0, index
    return float(diff.reshape(-1)[worst]) / scale, index


def _unravel(flat, shape):
    """The index tuple of flat position ``flat`` in a C-ordered array of ``shape`` (in Python: CuPy's
    ``unravel_index`` refuses a Python int)."""
    index = []
    for size in reversed(shape):
        flat, i = divmod(flat, size)
        index.append(i)
    return tuple(reversed(index))


def check_layer(layer, x, *args, seed=0, eps=1e-6, max_entries=None):
    """Gradient-check a layer (or model) at input ``x`` for the input and every parameter.

    The scalar checked is ``L = sum(forward(x, *args) * g)`` for a fixed random
    ``g``, so ``dL/d out = g`` is what ``backward`` receives. Everything must be
    float64. Returns ``{name: (error, index)}`` with ``"input"`` and each
    parameter name (``params`` of a layer, or ``named_parameters`` of a model;
    frozen parameters have no gradient to check).

    ``max_entries`` checks at most that many entries of each array, drawn at
    random (seeded) from all of them: a whole network has too many weights to
    difference every one, and a wrong backward shows up in any fair sample.
    """
    xp = backend.get_array_module(x)
    params = _parameters(layer)
    out = layer.forward(x, *args)
    rng = backend.host_rng(seed)
    g = rng.standard_normal(getattr(out, "shape", ()))
    g = backend.to_device(g, backend.device_of(x)) if getattr(out, "shape", ()) else float(g)

    def loss():
        return float((xp.asarray(layer.forward(x, *args)) * g).sum())

    analytic = {"input": layer.backward(g)}
    analytic.update({name: grad.copy() for name, (_, grad) in _gradients(layer).items()})
    results = {}
    for name, value in [("input", x)] + list(params.items()):
        entries = None
        if max_entries is not None and value.size > max_entries:
            entries = backend.to_host(rng.choice(value.size, size=max_entries, replace=False))
        numeric = numerical_gradient(loss, value, eps, entries)
        exact = analytic[name]
        if entries is not None:
            numeric, exact = numeric.reshape(-1)[entries], exact.reshape(-1)[entries]
        results[name] = relative_error(exact, numeric)
    return results


def worst(results):
    """``(name, error, index)`` of the largest error in a :func:`check_layer` result."""
    name = max(results, key=lambda k: results[k][0])
    return (name,) + tuple(results[name])


def _parameters(layer):
    return {name: value for name, (value, _) in _gradients(layer).items()}


def _gradients(layer):
    """``{name: (value, grad)}`` for a single layer or a model; frozen parameters have no gradient."""
    if hasattr(layer, "named_parameters"):
        return {name: (value, grad) for name, value, grad in layer.named_parameters()}
    return {name: (layer.params[name], layer.grads[name]) for name in layer.params if layer.needs_grad(name)}
