#!/usr/bin/python3
"""Writes the lab's emulation of each site's node software (what a job sees
on the site besides Slurm), under LAB/sw/:

  LAB/sw/lib/             the lab's Python start-up (sitecustomize.py) and
                          the stand-ins (container.py, accelerate.py)
  LAB/sw/SITE/init.sh     sourced by a suite before sbatch: the site's login
                          environment (PATH with the host python3 first, the
                          site's MODULEPATH, Lmod's `module`, exported so the
                          job has it as on the site)
  LAB/sw/SITE/host/bin    the host's python3 (no torch) and the container
                          runtime (singularity / apptainer stand-ins)
  LAB/sw/SITE/...         modulefiles (Lua, for Debian's Lmod), module
                          software trees, container images, uenvs, at the
                          site's own paths under LAB/sw/SITE (so
                          /appl/local/laifs/modules is
                          LAB/sw/lumi/appl/local/laifs/modules)

A site's absolute path P that does not exist here is looked up as
LAB/sw/SITE/P by the lab's `module` and container stand-ins. What each piece
stands for, and the sources: docs/development/site-emulation.md.

Usage: make_sw.py LAB SYSTEM...
       make_sw.py --venv DIR LAB CONTEXT ROLE WHAT   (a user's venv)
"""
import json
import os
import shlex
import shutil
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

# Each site's software, as its documentation describes it.
SITES = {
    "lumi": {
        "vendor": "amd",
        "runtimes": ["singularity"],
        # LUMI's singularity mounts only home, /tmp and the working
        # directory; the bindings module adds the project file systems.
        "site_binds": False,
        "modulepath": [],
        "pytorch_modules": ["PyTorch", "pytorch", "Local-CSC"],
        "images": {
            # The LUMI AI Factory images (lumi-multitorch-*): torch, torchrun
            # and accelerate inside; the GCDs are visible without a flag.
            "laif-multitorch": {"needs": None},
        },
        "image_globs": [["/appl/local/laifs/containers/lumi-multitorch-*/*.sif", "laif-multitorch"]],
    },
    "alvis": {
        "vendor": "nvidia",
        "runtimes": ["apptainer", "singularity"],
        "site_binds": True,   # /cephyr and /mimer are mounted by default
        "modulepath": ["/apps/modulefiles"],
        "pytorch_modules": ["PyTorch", "PyTorch-bundle"],
        "images": {"c3se-pytorch": {"needs": "nv"}},
        "image_globs": [["/apps/containers/PyTorch/*.sif", "c3se-pytorch"]],
    },
    "roihu": {
        "vendor": "nvidia",
        "runtimes": ["apptainer", "singularity"],
        # The disk areas are bound only when asked: CSC's csc-common-bind
        # prints the list for --bind (docs.csc.fi/computing/containers/overview/).
        "site_binds": False,
        "modulepath": ["/appl/modulefiles"],
        "pytorch_modules": ["python-pytorch", "pytorch"],
        "images": {},
        "image_globs": [],
    },
    "alps": {
        "vendor": "nvidia",
        "runtimes": [],
        "site_binds": False,
        "modulepath": None,   # no Lmod outside a uenv
        "pytorch_modules": [],
        "images": {},
        "image_globs": [],
        "uenvs": ["pytorch/v2.6.0", "pytorch/v2.8.0", "pytorch/v2.9.1"],
        # Container Engine images, by the EDF image reference's last part.
        "ce_images": ["pytorch_25.01-py3", "ngc-pytorch_25.01-py3.sqsh"],
    },
}

def write(path, text, mode=0o644):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)


def python_wrapper(path, lib, what, role, context):
    """A `python3` of some environment: Debian's interpreter, started so that
    it behaves as that environment's (role `bare`: no torch of its own;
    `torch`: torch importable), and found only where the environment exists
    (context: host, image:NAME, uenv:NAME)."""
    write(path, f"""#!/bin/bash
# Lab: {what}.
case ${{LAB_CONTEXT:-host}} in
  {context}) ;;
  *) echo "bash: $0: cannot execute: required file not found (lab: only in {context})" >&2
     exit 127 ;;
esac
PYTHONPATH={lib}${{PYTHONPATH:+:$PYTHONPATH}} LAB_PY_ROLE={role} LAB_PY_WHAT={shlex.quote(what)} \\
  exec -a "$0" /usr/bin/python3 "$@"
""", 0o755)


def torch_env(bindir, lib, what, context, role="torch"):
    """bin/ of an environment with PyTorch: python, python3, torchrun,
    accelerate."""
    python_wrapper(os.path.join(bindir, "python3"), lib, what, role, context)
    python_wrapper(os.path.join(bindir, "python"), lib, what, role, context)
    write(os.path.join(bindir, "torchrun"),
          '#!/bin/bash\nexec "$(dirname "$0")/python3" -m torch.distributed.run "$@"\n', 0o755)
    write(os.path.join(bindir, "accelerate"),
          f'#!/bin/bash\nexec "$(dirname "$0")/python3" {lib}/accelerate.py "$@"\n', 0o755)


def image_dir(root, lib, name, meta):
    d = os.path.join(root, "images", name)
    torch_env(os.path.join(d, "bin"), lib, f"python of image {name}", f"image:{name}")
    write(os.path.join(d, "meta.json"), json.dumps(meta) + "\n")


def make_site(lab, system):
    family = "alps" if system.startswith("alps-") else system
    spec = SITES.get(family)
    if spec is None:
        return False
    lib = os.path.join(lab, "sw", "lib")
    root = os.path.join(lab, "sw", system)
    if os.path.exists(root):
        shutil.rmtree(root)
    host = os.path.join(root, "host", "bin")
    python_wrapper(os.path.join(host, "python3"), lib, f"the host python3 of {system}", "bare", "host")
    for rt in spec["runtimes"]:
        write(os.path.join(host, rt),
              f'#!/bin/bash\nexec /usr/bin/python3 -E -s {lib}/container.py {root} {rt} "$@"\n', 0o755)
    for name, meta in spec["images"].items():
        image_dir(root, lib, name, meta)
    if spec["runtimes"]:
        # A user's own PyTorch image: NVIDIA's driver libraries are the
        # host's, so it sees GPUs only with --nv; an AMD image carries ROCm
        # and sees the GCDs through /dev, which Apptainer shares.
        image_dir(root, lib, "user-pytorch", {"needs": "nv" if spec["vendor"] == "nvidia" else None})
    modulepath = [root + p for p in (spec["modulepath"] or [])]

    if family == "lumi":
        # lumi-aif-singularity-bindings: binds the file systems (here: the
        # lab's project folder) and /appl into the images.
        write(os.path.join(root, "appl/local/laifs/modules/lumi-aif-singularity-bindings.lua"), f"""\
whatis("Lab stand-in: bind mounts for the LUMI AI Factory containers")
local project = os.getenv("LAB_PROJECT_ROOT") or LmodError("lab: LAB_PROJECT_ROOT is not set")
setenv("SINGULARITY_BIND", project .. "," .. "{root}/appl")
""")
    if family == "alvis":
        # EasyBuild: the Python module's interpreter (no torch) and
        # PyTorch's site-packages on PYTHONPATH, torchrun in its bin.
        py = os.path.join(root, "apps/Python/3.11.3-GCCcore-12.3.0/bin")
        python_wrapper(os.path.join(py, "python3"), lib, "EasyBuild's Python 3.11.3 on alvis", "bare", "host")
        python_wrapper(os.path.join(py, "python"), lib, "EasyBuild's Python 3.11.3 on alvis", "bare", "host")
        tp = os.path.join(root, "apps/PyTorch-bundle/2.1.2-foss-2023a-CUDA-12.1.1")
        sp = os.path.join(tp, "lib/python3.11/site-packages")
        write(os.path.join(sp, "torch/__init__.py"), MODULE_TORCH.format(what="PyTorch-bundle/2.1.2 (alvis)"))
        write(os.path.join(tp, "bin/torchrun"),
              f'#!/bin/bash\nexec {py}/python3 -m torch.distributed.run "$@"\n', 0o755)
        write(os.path.join(tp, "bin/accelerate"),
              f'#!/bin/bash\nexec {py}/python3 {lib}/accelerate.py "$@"\n', 0o755)
        write(os.path.join(modulepath[0], "PyTorch-bundle/2.1.2-foss-2023a-CUDA-12.1.1.lua"), f"""\
whatis("Lab stand-in: PyTorch-bundle 2.1.2 (EasyBuild: Python module + PyTorch on PYTHONPATH)")
prepend_path("PATH", "{py}")
prepend_path("PATH", "{tp}/bin")
prepend_path("PYTHONPATH", "{sp}")
setenv("EBROOTPYTORCHMINBUNDLE", "{tp}")
""")
    if family == "roihu":
        # CSC's python-pytorch: a Tykky installation, its python3 first on
        # PATH (the wrappers run in CSC's own container).
        tb = os.path.join(root, "appl/soft/ai/tykky/python-pytorch/bin")
        torch_env(tb, lib, "CSC's python-pytorch python3", "host")
        write(os.path.join(host, "csc-common-bind"),
              '#!/bin/bash\n# Lab: the disk areas (/users, /projappl, /scratch, ...) are the lab project folder.\n'
              'echo "${LAB_PROJECT_ROOT:?}"\n', 0o755)
        write(os.path.join(modulepath[0], "python-pytorch.lua"), f"""\
whatis("Lab stand-in: CSC's python-pytorch (Tykky wrappers first on PATH)")
prepend_path("PATH", "{tb}")
""")
    if family == "alps":
        for u in spec["uenvs"]:
            d = os.path.join(root, "uenv", u.replace("/", "_"))
            torch_env(os.path.join(d, "env/default/bin"), lib, f"python of uenv {u} (view default)",
                      f"uenv:{u}")
        for name in spec["ce_images"]:
            torch_env(os.path.join(root, "ce-images", name, "bin"), lib,
                      f"python of Container Engine image {name}", f"image:{name}")

    site = {
        "system": system, "vendor": spec["vendor"], "site_binds": spec["site_binds"],
        "pytorch_modules": spec["pytorch_modules"], "image_globs": spec["image_globs"],
    }
    write(os.path.join(root, "site.json"), json.dumps(site, indent=1) + "\n")
    init = [
        f"# The login environment of {system} in the lab (tests/slurm/site/make_sw.py).",
        f"export LAB_SITE={system} LAB_SITE_ROOT={root}",
        f"export PATH={host}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "unset PYTHONPATH VIRTUAL_ENV LAB_CONTEXT LAB_BINDS LOADEDMODULES _LMFILES_ MODULEPATH",
        "unset -f module 2>/dev/null",
    ]
    if spec["modulepath"] is not None:
        init += [
            f"export MODULEPATH={':'.join(modulepath)}",
            "export LMOD_CMD=/usr/share/lmod/lmod/libexec/lmod MODULESHOME=/usr/share/lmod/lmod",
            "# Lmod's module function; a site path that is not here is the lab's copy.",
            "module() {",
            "  local a=() x",
            "  for x in \"$@\"; do",
            "    if [[ $x == /* && ! -e $x && -e $LAB_SITE_ROOT$x ]]; then x=$LAB_SITE_ROOT$x; fi",
            "    a+=(\"$x\")",
            "  done",
            "  eval \"$(\"$LMOD_CMD\" bash \"${a[@]}\")\"",
            "}",
            "export -f module",
            "ml() { module \"$@\"; }",
            "export -f ml",
        ]
    write(os.path.join(root, "init.sh"), "\n".join(init) + "\n")
    return True


# torch from a host module's site-packages: works with the host's libraries
# only; inside a container image or uenv it fails as a foreign build does.
MODULE_TORCH = '''"""Lab: torch of the host module {what}."""
import os
import sys

_ctx = os.environ.get("LAB_CONTEXT", "host")
if _ctx != "host":
    raise ImportError(
        "torch from the host module {what} (" + os.path.dirname(__file__) + ") cannot load in "
        + _ctx + ": libc10.so: cannot open shared object file (lab: the host module's "
        "PYTHONPATH leaked into the container)")
_mine = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != _mine]
del sys.modules["torch"]
sys.lab_torch_provider = __file__  # the lab's gate lets Debian's torch stand in
import torch as _real  # noqa: E402  Debian's torch stands for the module's

sys.modules["torch"] = _real
'''


def make_venv(path, lab, context, role, what):
    """A user's virtual environment made in some environment (context):
    `python -m venv --system-site-packages`, whose python3 is then that
    environment's (it exists only there), with one package of its own
    (labvenv) that the training program imports with --expect-venv."""
    import subprocess
    lib = os.path.join(lab, "sw", "lib")
    subprocess.run(["/usr/bin/python3", "-m", "venv", "--system-site-packages", "--without-pip",
                    path], check=True)
    py = os.path.join(path, "bin", "python3")
    os.remove(py)
    python_wrapper(py, lib, what, role, context)
    sp = os.path.join(path, "lib", f"python{sys.version_info.major}.{sys.version_info.minor}",
                      "site-packages")
    write(os.path.join(sp, "labvenv.py"), '"""A package installed in the lab venv."""\n')
    # `pip install accelerate` in the venv: its launcher runs the venv's python.
    write(os.path.join(path, "bin", "accelerate"),
          f'#!/bin/bash\nexec "$(dirname "$0")/python3" {lib}/accelerate.py "$@"\n', 0o755)


def main():
    if len(sys.argv) >= 2 and sys.argv[1] == "--venv":
        # make_sw.py --venv DIR LAB CONTEXT ROLE WHAT
        make_venv(*sys.argv[2:7])
        return
    if len(sys.argv) < 2:
        raise SystemExit(__doc__)
    lab = os.path.abspath(sys.argv[1])
    lib = os.path.join(lab, "sw", "lib")
    os.makedirs(lib, exist_ok=True)
    for f in ("sitecustomize.py", "container.py", "accelerate.py"):
        src = os.path.join(HERE, f)
        if os.path.exists(src):
            shutil.copy(src, os.path.join(lib, f))
    for system in sys.argv[2:]:
        make_site(lab, system)


if __name__ == "__main__":
    main()
