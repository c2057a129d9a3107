"""Start-up of every Python in the lab's emulated site software.

The lab's python wrappers (written by tests/slurm/site/make_sw.py) start Debian's
/usr/bin/python3 with this directory first on PYTHONPATH and LAB_PY_ROLE set;
Python imports this file before the program. It

1. takes itself back out of the environment (PYTHONPATH, LAB_PY_ROLE), so
   the processes the program starts see the environment it was given;
2. for a Python that has no PyTorch of its own (LAB_PY_ROLE=bare: a site's
   host python3, or EasyBuild's Python without the PyTorch module), hides
   Debian's torch: `import torch` fails as on the site, unless a directory
   on PYTHONPATH provides one (a module's site-packages);
3. fixes torch 1.13's torch.distributed.run for Python 3.11 (see
   _fix_std_from_str) when that module is imported, so torchrun runs in the
   lab. torch's own files are left as they are.
"""
import importlib.abc
import importlib.machinery
import os
import sys

_HERE = os.path.dirname(os.path.abspath(__file__))
_ROLE = os.environ.pop("LAB_PY_ROLE", "")
_WHAT = os.environ.pop("LAB_PY_WHAT", "this python3")


def _clean_pythonpath():
    parts = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep)
             if p and os.path.abspath(p) != _HERE]
    if parts:
        os.environ["PYTHONPATH"] = os.pathsep.join(parts)
    else:
        os.environ.pop("PYTHONPATH", None)


_clean_pythonpath()
if _HERE in sys.path:
    sys.path.remove(_HERE)

_SYSTEM_PREFIXES = ("/usr/lib/python3/dist-packages", "/usr/local/lib/python3")


class _NoSystemTorch(importlib.abc.MetaPathFinder):
    """A site's bare python3 has no torch: look for it only on PYTHONPATH."""

    def find_spec(self, name, path=None, target=None):
        if name != "torch" or getattr(sys, "lab_torch_provider", None):
            return None
        own = [p for p in sys.path if p and not p.startswith(_SYSTEM_PREFIXES)
               and not p.startswith(sys.base_prefix + "/lib/python3")]
        spec = importlib.machinery.PathFinder.find_spec(name, own)
        if spec is None:
            raise ModuleNotFoundError(
                f"No module named 'torch' (lab: {_WHAT} "
                "has no PyTorch; load the site's PyTorch environment)", name="torch")
        return spec


def _fix_std_from_str(api):
    """torch 1.13's Std.from_str("0") returns None on Python 3.11: it looks
    the value up by iterating the IntFlag, and 3.11's iteration leaves out the
    zero member NONE. torchrun passes "0" for --redirects and --tee, so it
    fails at start. Same parsing, with Std(int) instead of the iteration."""
    import re
    Std = api.Std

    def from_str(cls, vm):
        if re.match(api._VALUE_REGEX, vm):
            return cls(int(vm))
        if re.match(api._MAPPING_REGEX, vm):
            return {int(k): cls(int(v)) for k, v in (m.split(":") for m in vm.split(","))}
        raise ValueError(f"{vm} does not match: <{api._VALUE_REGEX}> or <{api._MAPPING_REGEX}>")

    Std.from_str = classmethod(from_str)


_PATCHES = {"torch.distributed.elastic.multiprocessing.api": _fix_std_from_str}


class _PatchAfterImport(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        patch = _PATCHES.get(name)
        if patch is None:
            return None
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        if spec is None or spec.loader is None:
            return spec
        loader = spec.loader
        exec_module = loader.exec_module

        def exec_and_patch(module):
            exec_module(module)
            patch(module)

        loader.exec_module = exec_and_patch
        return spec


sys.meta_path.insert(0, _PatchAfterImport())
if _ROLE == "bare":
    sys.meta_path.insert(0, _NoSystemTorch())


def _visible(path, binds):
    path = os.path.abspath(path)
    return any(path == b or path.startswith(b.rstrip("/") + "/") for b in binds if b)


def _check_binds():
    """In a container (LAB_CONTEXT=image:...), only the image's own files and
    the bound paths (LAB_BINDS, set by the lab's container stand-ins) exist:
    a program or a venv interpreter elsewhere is not found, as in the image."""
    if not os.environ.get("LAB_CONTEXT", "").startswith("image:"):
        return
    binds = os.environ.get("LAB_BINDS", "").split(":")
    own = os.path.dirname(_HERE)  # LAB/sw: the images' own trees
    binds.append(own)
    argv = list(getattr(sys, "orig_argv", []))[1:]
    script = None
    while argv:
        a = argv.pop(0)
        if a in ("-c", "-m"):
            break
        if a in ("-X", "-W"):
            argv and argv.pop(0)
            continue
        if a.startswith("-"):
            continue
        script = a
        break
    exe = os.path.abspath(sys.executable or "")
    for what, path in (("interpreter", exe), ("program", script)):
        if path and not _visible(path, binds):
            print(f"{sys.executable}: can't open file {path!r}: [Errno 2] No such file or directory "
                  f"(lab: the {what} is outside the container's binds {':'.join(b for b in binds if b)})",
                  file=sys.stderr)
            os._exit(2)


_check_binds()
