"""Bitwise comparison of two twin-sim result files (all datasets and
attributes, except the attributes that identify a particular run)."""

import h5py
import numpy as np

RUN_SPECIFIC = {"run_id", "created", "mpi_ranks"}


def _attributes(obj):
    return {k: obj.attrs[k] for k in obj.attrs.keys() if k not in RUN_SPECIFIC}


def _same(a, b):
    a = np.asarray(a)
    b = np.asarray(b)
    if a.dtype != b.dtype or a.shape != b.shape:
        return False
    if a.dtype.kind in "OSU":
        return bool(np.all(a == b))
    return a.tobytes() == b.tobytes()


def differences(path_a, path_b):
    """Lists every difference; empty when the files are bit-identical."""
    found = []
    with h5py.File(path_a, "r") as fa, h5py.File(path_b, "r") as fb:
        names_a, names_b = [], []
        fa.visit(names_a.append)
        fb.visit(names_b.append)
        if sorted(names_a) != sorted(names_b):
            found.append(f"objects differ: {sorted(set(names_a) ^ set(names_b))}")
        for obj_a, obj_b, name in [(fa, fb, "/")] + [
            (fa[n], fb[n], n) for n in names_a if n in fb
        ]:
            attrs_a, attrs_b = _attributes(obj_a), _attributes(obj_b)
            if sorted(attrs_a) != sorted(attrs_b):
                found.append(f"{name}: attribute names differ")
            for key in attrs_a:
                if key in attrs_b and key != "DIMENSION_LIST" and key != "REFERENCE_LIST":
                    if not _same(attrs_a[key], attrs_b[key]):
                        found.append(f"{name}: attribute {key} differs")
            if isinstance(obj_a, h5py.Dataset):
                if not _same(obj_a[()], obj_b[()]):
                    found.append(f"{name}: data differ")
    return found
