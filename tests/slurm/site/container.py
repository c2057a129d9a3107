"""The lab's `singularity` / `apptainer`: runs a command "inside an image".

    singularity|apptainer [global options] run|exec [options] IMAGE [COMMAND...]

Started by LAB/sw/SITE/host/bin/{singularity,apptainer} as
`container.py SITE_ROOT RUNTIME ARGS...`. What it does, as Apptainer does
(https://apptainer.org/docs/user/latest/environment_and_metadata.html,
https://apptainer.org/docs/user/latest/bind_paths_and_mounts.html):

- IMAGE: a file that names a lab image ({"image": NAME}, LAB/sw/SITE/images/
  NAME), or one of the site's own image paths (site.json image_globs, e.g.
  LUMI's /appl/local/laifs/containers/lumi-multitorch-*/*.sif); anything
  else fails as a missing image does.
- Environment: the host's environment is passed in, except PATH and
  LD_LIBRARY_PATH, which come from the image (so a host module's PYTHONPATH
  reaches the image's python); SINGULARITYENV_X / APPTAINERENV_X set X;
  --cleanenv passes nothing.
- Binds: home, /tmp, /var/tmp and the working directory, the site's
  configured binds (LAB_PROJECT_ROOT where the site mounts its project file
  systems by default), SINGULARITY_BIND / APPTAINER_BIND and -B. A bind
  whose source does not exist fails as in Apptainer. The visible paths go to
  the image as LAB_BINDS: the lab's Pythons refuse a program or an
  interpreter (a venv's python) outside them, as "No such file or directory".
- GPUs: an image that needs --nv (NVIDIA sites) sees no GPU without it.
- Every start is recorded as one JSON line in $LAB_RECORD_DIR/containers.jsonl
  (verb, image, binds, loaded modules, PYTHONPATH passed in), for the suite
  to check.
"""
import fnmatch
import json
import os
import socket
import sys

VALUE_OPTS = {"-B", "--bind", "--env", "--env-file", "-H", "--home", "--pwd", "-W", "--workdir",
              "-o", "--overlay", "--app", "--security", "-S", "--scratch", "--mount", "--network",
              "--network-args", "--hostname", "--dns", "--apply-cgroups"}
FLAG_OPTS = {"--nv", "--rocm", "-e", "--cleanenv", "-c", "--contain", "-C", "--containall",
             "--no-home", "--writable-tmpfs", "-w", "--writable", "--fakeroot", "-f", "--nvccli",
             "--no-init", "--no-privs", "-u", "--userns", "-i", "--ipc", "-p", "--pid",
             "--compat", "--no-mount", "--no-eval"}
GLOBAL_FLAGS = {"-s", "--silent", "-q", "--quiet", "-d", "--debug", "-v", "--verbose", "--nocolor"}


def fatal(runtime, msg):
    print(f"FATAL:   {msg}", file=sys.stderr)
    sys.exit(255)


def main():
    root, runtime, args = sys.argv[1], sys.argv[2], sys.argv[3:]
    with open(os.path.join(root, "site.json")) as f:
        site = json.load(f)
    while args and args[0] in GLOBAL_FLAGS:
        args.pop(0)
    if not args or args[0] not in ("run", "exec"):
        fatal(runtime, f"lab stand-in: only `{runtime} run` and `{runtime} exec` are emulated "
                       f"(got {' '.join(args[:1]) or 'nothing'})")
    verb = args.pop(0)
    opts = {"bind": [], "env": [], "flags": set()}
    while args and args[0].startswith("-"):
        a = args.pop(0)
        if "=" in a and a.split("=", 1)[0] in VALUE_OPTS:
            a, v = a.split("=", 1)
        elif a in VALUE_OPTS:
            if not args:
                fatal(runtime, f"{a} needs a value")
            v = args.pop(0)
        elif a in FLAG_OPTS:
            opts["flags"].add({"-e": "--cleanenv", "-c": "--contain", "-C": "--containall"}.get(a, a))
            continue
        else:
            fatal(runtime, f"lab stand-in: unknown option {a}")
        if a in ("-B", "--bind"):
            opts["bind"] += [b for b in v.split(",") if b]
        elif a == "--env":
            opts["env"] += [e for e in v.split(",") if e]
    if not args:
        fatal(runtime, "no image given")
    image_arg, command = args[0], args[1:]

    # The image.
    name = None
    path = image_arg
    if not os.path.exists(path) and path.startswith("/") and os.path.exists(root + path):
        path = root + path
    if os.path.isfile(path):
        try:
            with open(path) as f:
                name = json.load(f)["image"]
        except (ValueError, KeyError, UnicodeDecodeError):
            fatal(runtime, f"could not open image {image_arg}: not a lab image")
    else:
        for pattern, image in site["image_globs"]:
            if fnmatch.fnmatch(image_arg, pattern):
                name = image
    if name is None:
        fatal(runtime, f"could not open image {image_arg}: failed to retrieve path for "
                       f"{image_arg}: lstat {image_arg}: no such file or directory")
    imgdir = os.path.join(root, "images", name)
    if not os.path.isdir(imgdir):
        fatal(runtime, f"could not open image {image_arg}: lab image {name} is not installed")
    with open(os.path.join(imgdir, "meta.json")) as f:
        meta = json.load(f)

    # The environment.
    host = dict(os.environ)
    if "--cleanenv" in opts["flags"] or "--containall" in opts["flags"]:
        env = {k: host[k] for k in ("HOME", "USER", "LANG", "TERM") if k in host}
    else:
        env = {k: v for k, v in host.items()
               if k not in ("PATH", "LD_LIBRARY_PATH", "PS1")
               and not k.startswith(("SINGULARITYENV_", "APPTAINERENV_"))}
    image_path = f"{imgdir}/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
    env["PATH"] = image_path
    env["LD_LIBRARY_PATH"] = "/.singularity.d/libs"
    for prefix in ("SINGULARITYENV_", "APPTAINERENV_"):
        for k, v in host.items():
            if k.startswith(prefix):
                env[k[len(prefix):]] = v
    if "PREPEND_PATH" in env:
        env["PATH"] = env.pop("PREPEND_PATH") + ":" + env["PATH"]
    if "APPEND_PATH" in env:
        env["PATH"] = env["PATH"] + ":" + env.pop("APPEND_PATH")
    for e in opts["env"]:
        k, _, v = e.partition("=")
        env[k] = v

    # Binds.
    binds = []
    cwd = os.getcwd()
    defaults = [host.get("HOME", "/root"), "/tmp", "/var/tmp", cwd]
    if site["site_binds"] and host.get("LAB_PROJECT_ROOT"):
        defaults.append(host["LAB_PROJECT_ROOT"])
    requested = []
    for var in ("SINGULARITY_BIND", "APPTAINER_BIND", "SINGULARITY_BINDPATH", "APPTAINER_BINDPATH"):
        requested += [b for b in host.get(var, "").split(",") if b]
    requested += opts["bind"]
    for spec in requested:
        src, _, rest = spec.partition(":")
        dst = rest.split(":")[0] if rest else src
        if not os.path.exists(src):
            fatal(runtime, f"container creation failed: mount hook function failure: mount "
                           f"{src}->{dst} error: while mounting {src}: mount source {src} "
                           "doesn't exist")
        if dst != src:
            fatal(runtime, f"lab stand-in: bind {spec} maps to another path, which the lab "
                           "cannot show")
        binds.append(dst)
    visible = defaults + binds
    env["LAB_BINDS"] = ":".join(visible)
    env["LAB_CONTEXT"] = f"image:{name}"
    env["SINGULARITY_CONTAINER"] = env["APPTAINER_CONTAINER"] = image_arg
    env["SINGULARITY_NAME"] = env["APPTAINER_NAME"] = os.path.basename(image_arg)
    needs = meta.get("needs")
    if needs and f"--{needs}" not in opts["flags"]:
        env["LAB_NO_GPU"] = f"{runtime} {verb} without --{needs}: the image has no GPU driver"

    record = {
        "host": socket.gethostname(), "node": host.get("SLURMD_NODENAME"),
        "job": host.get("SLURM_JOB_ID"), "step": host.get("SLURM_STEP_ID"),
        "task": host.get("SLURM_PROCID"), "runtime": runtime, "verb": verb, "image": image_arg,
        "lab_image": name, "flags": sorted(opts["flags"]), "binds": binds,
        "loaded_modules": [m for m in host.get("LOADEDMODULES", "").split(":") if m],
        "pythonpath_in": env.get("PYTHONPATH", ""), "command": command,
        "virtual_env_in": env.get("VIRTUAL_ENV", ""),
    }
    rec = host.get("LAB_RECORD_DIR")
    if rec:
        os.makedirs(rec, exist_ok=True)
        with open(os.path.join(rec, "containers.jsonl"), "a") as f:
            f.write(json.dumps(record) + "\n")

    if not command:
        command = ["python3"]  # the images' runscript starts python
    prog = command[0]
    if "/" not in prog:
        for d in env["PATH"].split(":"):
            cand = os.path.join(d, prog)
            if os.access(cand, os.X_OK) and not os.path.isdir(cand):
                prog = cand
                break
        else:
            fatal(runtime, f'"{command[0]}": executable file not found in $PATH')
    os.execve(prog, command, env)


if __name__ == "__main__":
    main()
