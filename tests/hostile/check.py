#!/usr/bin/python3
"""Hostile values in every place a user can put a value into a script.

For each value in tests/hostile/values.txt and each position (a program
argument, --job-name, --output, --account, --env NAME=VALUE, --env's NAME,
--module, --container, --bind, --venv, --sweep lr=VALUE (array task 0 gets
the part before the first comma not written \\,), --partition, --time, --gpus,
--sbatch comment=VALUE, --sbatch's KEY, --constraint, --qos, --reservation,
--dependency, --mail-type, --mail-user),
`mlsub plan` must either

  * refuse it clearly: exit 2 or 3, nothing on stdout, and on stderr only
    lines "mlsub: error: ..." or "mlsub: warning: ..." with no control
    character (no terminal escape from a value reaches the terminal); or
  * write a script that
      - has no NUL and is printable ASCII (non-ASCII bytes are escaped),
      - passes `bash -n` and `shellcheck -s bash`,
      - has the same #SBATCH options, in the same order, as the script made
        without the value (a value never adds a directive), all before the
        first command,
      - hands the value to sbatch byte for byte where it is a directive
        (parsed the way sbatch parses #SBATCH lines, see sbatch_words), and
      - run by bash with stand-ins for srun, python3, module, apptainer,
        scontrol and `source` on an otherwise empty PATH, delivers the value
        byte for byte to the stand-in that should get it, runs nothing else
        (the stand-ins' calls are compared with what is expected; any other
        command is "not found" and fails the job) and creates neither
        $CANARY nor ./pwned;
      - and its header's command line, read back by bash, is the command
        that made it.

Every position that is a flag is also tried from a config file (--config
FILE, the flag's value under the system's section, written as a YAML
double-quoted string with every byte that is not printable ASCII escaped):
the outcome must be the flag's, the flag placed right after `plan` (where
the header writes config values): the same script byte for byte, header
included, or the same refusal (exit 10 where the flag's is 2 and the
message names the file). Values that are not UTF-8 cannot be in a YAML
file and are skipped there.

Every value is also passed as one more argument in a multi-GPU srun job
and in a two-node torchrun job, all in one script each, checked the same
way.

NUL cannot be passed in argv (execve ends each argument at the first NUL);
values holding one are passed cut at the NUL, as any caller would, and the
fuzz targets (fuzz/) feed NUL bytes to the same code in-process.

Needs MLSUB (the binary). Exit 0 when every check passed.
"""

import concurrent.futures
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
MLSUB = os.environ.get("MLSUB") or sys.exit("MLSUB must name the mlsub binary")
SYSTEM = "puhti"  # one GPU: python3 runs the program; containers with apptainer
# Every plan is made without the GPU monitor (NO_MONITOR): the monitor takes
# no user value in `plan` (its folder comes from Slurm's variables), it runs
# mkdir and nvidia-smi, which the stand-ins do not provide, and
# slurm.monitor tests it on a real Slurm.
NO_MONITOR = "--no-monitor"
BASE = ["plan", NO_MONITOR, "--system", SYSTEM, "--gpus", "1", "--account", "project_2001234"]


def decode(text):
    """The escapes of values.txt: \\\\ \\n \\t \\r \\e \\0 \\xHH; \\z is empty."""
    if text == "\\z":
        return b""
    out = bytearray()
    raw = text.encode("utf-8")
    i = 0
    simple = {ord("\\"): 0x5C, ord("n"): 0x0A, ord("t"): 0x09, ord("r"): 0x0D,
              ord("e"): 0x1B, ord("0"): 0x00}
    while i < len(raw):
        c = raw[i]
        if c != 0x5C:
            out.append(c)
            i += 1
            continue
        e = raw[i + 1]
        if e in simple:
            out.append(simple[e])
            i += 2
        elif e == ord("x"):
            out.append(int(raw[i + 2:i + 4], 16))
            i += 4
        else:
            raise ValueError(f"unknown escape in {text!r}")
    return bytes(out)


def load_values():
    values = []
    with open(os.path.join(HERE, "values.txt"), encoding="utf-8") as f:
        for line in f.read().split("\n"):
            if line == "" or line.startswith("#"):
                continue
            if line.startswith("!repeat "):
                _, n, text = line.split(" ", 2)
                values.append(decode(text) * int(n))
            else:
                values.append(decode(line))
    return values


def sbatch_words(line):
    """The words sbatch reads from one #SBATCH line (Slurm's _get_argument in
    src/sbatch/opt.c): a backslash takes the next byte as it is, even inside
    quotes; ' and " quote until the same quote; an unquoted # ends the line."""
    words = []
    i = 0
    n = len(line)
    while True:
        while i < n and line[i] in b" \t\n\v\f\r":
            i += 1
        if i >= n:
            return words
        word = bytearray()
        quote = None
        while i < n and (quote or line[i] not in b" \t\n\v\f\r"):
            c = line[i]
            if c == 0x5C and i + 1 < n:
                word.append(line[i + 1])
                i += 2
                continue
            if quote:
                if c == quote:
                    quote = None
                    i += 1
                    continue
            elif c in b"\"'":
                quote = c
                i += 1
                continue
            elif c == ord("#"):
                return words + ([bytes(word)] if word else [])
            word.append(c)
            i += 1
        if quote:
            return None  # sbatch: "Unmatched quote", a fatal error
        words.append(bytes(word))


def directives(script):
    """The #SBATCH lines before the first command, and whether any came after."""
    lines = script.split(b"\n")
    head, late, started = [], False, False
    for line in lines:
        if line.startswith(b"#SBATCH"):
            if started:
                late = True
            head.append(line)
        elif line.strip() and not line.startswith(b"#"):
            started = True
    return head, late


def option_of(line):
    words = sbatch_words(line[len(b"#SBATCH"):])
    if not words:
        return None, None
    opt, _, value = words[0].partition(b"=")
    return opt, value


STUBS = {
    # Every stand-in appends one record to $REC: its name and its arguments,
    # each ended by NUL, then a newline-free end marker.
    "python3": r'''#!/bin/bash
{ printf '%s\0' python3 "$@"; printf 'MLSUB-RECORD-END\0'; } >>"$REC"
printf '%s' "${MLSUB_HOSTILE-<unset>}" >"$REC.env"
''',
    "srun": r'''#!/bin/bash
{ printf '%s\0' srun; printf 'MLSUB-RECORD-END\0'; } >>"$REC"
while [ "$#" -gt 0 ] && [ "${1#-}" != "$1" ]; do shift; done
export SLURM_PROCID=0 SLURM_LOCALID=0
exec "$@"
''',
    "scontrol": r'''#!/bin/bash
echo node001
''',
    "module": r'''#!/bin/bash
{ printf '%s\0' module "$@"; printf 'MLSUB-RECORD-END\0'; } >>"$REC"
''',
    "apptainer": r'''#!/bin/bash
{ printf '%s\0' apptainer "$@"; printf 'MLSUB-RECORD-END\0'; } >>"$REC"
''',
}
PRELUDE = r'''# BASH_ENV for the jobs: `source` records its arguments instead.
source() { { printf '%s\0' source "$@"; printf 'MLSUB-RECORD-END\0'; } >>"$REC"; }
'''


def records(path):
    try:
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        return []
    out, cur = [], []
    for word in data.split(b"\0")[:-1]:
        if word == b"MLSUB-RECORD-END":  # no value in the corpus is this
            out.append(cur)
            cur = []
        else:
            cur.append(word)
    return out


class Checker:
    def __init__(self, work):
        self.work = work
        self.failures = []
        self.stubs = os.path.join(work, "bin")
        os.mkdir(self.stubs)
        for name, text in STUBS.items():
            p = os.path.join(self.stubs, name)
            with open(p, "w") as f:
                f.write(text)
            os.chmod(p, 0o755)
        for tool in ("bash", "head", "sed"):
            os.symlink(shutil.which(tool), os.path.join(self.stubs, tool))
        self.prelude = os.path.join(work, "prelude.sh")
        with open(self.prelude, "w") as f:
            f.write(PRELUDE)
        self.count = 0

    def fail(self, what, argv, detail=b""):
        self.failures.append((what, argv, detail))

    def mlsub(self, args):
        p = subprocess.run([MLSUB] + args, capture_output=True, timeout=60)
        return p.returncode, p.stdout, p.stderr

    def run_job(self, script, name):
        """Runs the script with the stand-ins; returns (rc, stderr, records,
        env value, canary created, files left in the job's directory)."""
        d = tempfile.mkdtemp(dir=self.work, prefix=name)
        job = os.path.join(d, "job.sh")
        with open(job, "wb") as f:
            f.write(script)
        cwd = os.path.join(d, "cwd")
        os.mkdir(cwd)
        rec = os.path.join(d, "rec")
        canary = os.path.join(d, "canary")
        env = {"PATH": self.stubs, "BASH_ENV": self.prelude, "REC": rec, "CANARY": canary,
               "HOME": d, "USER": "u", "SLURM_JOB_ID": "42", "SLURM_JOB_NODELIST": "node001",
               "SLURM_NTASKS": "1", "SLURM_NNODES": "1", "SLURM_ARRAY_TASK_ID": "0", "SLURM_CPUS_PER_TASK": "10",
               "LC_ALL": "C"}
        p = subprocess.run(["/bin/bash", job], cwd=cwd, env=env, capture_output=True,
                           timeout=60)
        env_value = None
        if os.path.exists(rec + ".env"):
            with open(rec + ".env", "rb") as f:
                env_value = f.read()
        left = os.listdir(cwd)
        result = (p.returncode, p.stderr, records(rec), env_value, os.path.exists(canary), left)
        shutil.rmtree(d)
        return result


def cut(value):
    return value.split(b"\0", 1)[0]


def arg(v):
    return os.fsdecode(v)


# position name -> (argv for mlsub, expected stand-in records or None, the
# directive it fills or None). `v` is the value (bytes, cut at NUL).
def sweep_first(v):
    """The first value of --sweep lr=V: split at commas, \\, is a comma, \\\\ a backslash."""
    out = bytearray()
    i = 0
    while i < len(v):
        if v[i:i + 1] == b"\\" and v[i + 1:i + 2] in (b",", b"\\"):
            out += v[i + 1:i + 2]
            i += 2
        elif v[i:i + 1] == b",":
            break
        else:
            out += v[i:i + 1]
            i += 1
    return bytes(out)


def positions(v):
    a = arg(v)
    py = [b"python3", b"train.py"]
    return {
        "argument": (BASE + ["train.py", "--", a], [[b"module", b"purge"], [b"module", b"load", b"pytorch"], py + [v]], None),
        "job-name": (BASE + ["--job-name", a, "train.py"], None, b"--job-name"),
        "output": (BASE + ["--output", a, "train.py"], None, b"--output"),
        "account": (["plan", NO_MONITOR, "--system", "alps-daint", "--gpus", "1", "--account", a, "--uenv", "pytorch/v2.9.1:/user-environment", "train.py"], None, b"--account"),
        "env": (BASE + ["--env", "MLSUB_HOSTILE=" + a, "train.py"], "env", None),
        "env-name": (BASE + ["--env", a + "=1", "train.py"], None, None),
        "module": (BASE + ["--module", a, "train.py"], [[b"module", b"purge"], [b"module", b"load", v], py], None),
        # With a container the site's PyTorch module stays unloaded (only purged).
        "container": (BASE + ["--container", a, "train.py"], [[b"module", b"purge"], [b"apptainer", b"exec", b"--nv", v] + py], None),
        "bind": (BASE + ["--container", "img.sif", "--bind", a, "train.py"], [[b"module", b"purge"], [b"apptainer", b"exec", b"--nv", b"--bind", v, b"img.sif"] + py], None),
        "venv": (BASE + ["--venv", a, "train.py"], [[b"module", b"purge"], [b"module", b"load", b"pytorch"], [b"source", v + b"/bin/activate"], py], None),
        "sweep": (BASE + ["--sweep", "lr=" + a, "train.py"], [[b"module", b"purge"], [b"module", b"load", b"pytorch"], py + [b"--lr", sweep_first(v)]], None),
        "partition": (BASE + ["--partition", a, "train.py"], None, b"--partition"),
        "time": (BASE + ["--time", a, "train.py"], None, b"--time"),
        "gpus": (["plan", NO_MONITOR, "--system", SYSTEM, "--gpus", a, "train.py"], None, None),
        # sbatch options mlsub does not plan: each goes into its own directive.
        "sbatch": (BASE + ["--sbatch", "comment=" + a, "train.py"], None, b"--comment"),
        "sbatch-key": (BASE + ["--sbatch", a + "=1", "train.py"], None, None),
        "constraint": (BASE + ["--constraint", a, "train.py"], None, b"--constraint"),
        "qos": (BASE + ["--qos", a, "train.py"], None, b"--qos"),
        "reservation": (BASE + ["--reservation", a, "train.py"], None, b"--reservation"),
        "dependency": (BASE + ["--dependency", a, "train.py"], None, b"--dependency"),
        "mail-type": (BASE + ["--mail-type", a, "train.py"], None, b"--mail-type"),
        "mail-user": (BASE + ["--mail-type", "END", "--mail-user", a, "train.py"], None, b"--mail-user"),
    }


def check_rejection(c, name, argv, rc, out, err):
    if rc not in (2, 3):
        c.fail(f"{name}: exit {rc}, expected 0, 2 or 3", argv, err)
    if out:
        c.fail(f"{name}: refused, yet printed on stdout", argv, out)
    if not err:
        c.fail(f"{name}: refused without a message", argv)
    for line in err.split(b"\n")[:-1]:
        if not (line.startswith(b"mlsub: error: ") or line.startswith(b"mlsub: warning: ")):
            c.fail(f"{name}: a stderr line that is not an mlsub message", argv, err)
            break
    if re.search(rb"[\x00-\x09\x0b-\x1f\x7f]", err):
        c.fail(f"{name}: a control character from the value reached stderr", argv, err)
    if not err.endswith(b"\n"):
        c.fail(f"{name}: stderr does not end with a newline", argv, err)


def header_words(script):
    """The header's command line, as bash reads it."""
    for line in script.split(b"\n"):
        if line.startswith(b"#   mlsub"):
            p = subprocess.run(["/bin/bash", "-c", 'eval "set -- $1"; printf "%s\\0" "$@"', "x",
                                line[4:]], capture_output=True)
            return p.stdout.split(b"\0")[:-1]
    return None


def check_script(c, name, argv, script, baseline):
    if b"\0" in script:
        c.fail(f"{name}: a NUL byte in the script", argv)
    if re.search(rb"[^\x0a\x20-\x7e]", script):
        c.fail(f"{name}: a control or non-ASCII byte in the script", argv, script)
    p = subprocess.run(["/bin/bash", "-n"], input=script, capture_output=True)
    if p.returncode != 0:
        c.fail(f"{name}: bash -n fails", argv, p.stderr)
    head, late = directives(script)
    if late:
        c.fail(f"{name}: an #SBATCH line after the first command", argv, script)
    base_head, _ = directives(baseline)
    if [option_of(l)[0] for l in head] != [option_of(l)[0] for l in base_head]:
        c.fail(f"{name}: the #SBATCH options differ from the baseline's", argv,
               b"\n".join(head))
    words = header_words(script)
    if words != [b"mlsub"] + [os.fsencode(a) for a in argv]:
        c.fail(f"{name}: the header's command line does not read back as the command", argv,
               b"\n".join(w for w in (words or [])))


def check_one(c, name, v):
    argv, expect, directive = positions(v)[name]
    rc, out, err = c.mlsub(argv)
    c.tally[(name, rc == 0)] = c.tally.get((name, rc == 0), 0) + 1
    if rc != 0:
        check_rejection(c, name, argv, rc, out, err)
        return None
    if err and re.search(rb"[\x00-\x09\x0b-\x1f\x7f]", err):
        c.fail(f"{name}: a control character from the value reached stderr", argv, err)
    baseline = c.baseline[name]
    check_script(c, name, argv, out, baseline)
    if directive:
        head, _ = directives(out)
        got = [val for opt, val in map(option_of, head) if opt == directive]
        if directive != b"--time" and got != [v]:
            c.fail(f"{name}: sbatch would read {got!r} from the directive", argv, b"\n".join(head))
    if expect is None:
        return out
    rc, jerr, recs, env_value, canary, left = c.run_job(out, name)
    if rc != 0:
        c.fail(f"{name}: the job failed (exit {rc})", argv, jerr)
    if canary or left:
        c.fail(f"{name}: the job ran a command it should not have ({left})", argv, jerr)
    if expect == "env":
        if env_value != v:
            c.fail(f"{name}: the program saw MLSUB_HOSTILE={env_value!r}", argv)
        base_recs = c.baseline_records
        if recs != base_recs:
            c.fail(f"{name}: the job ran {recs!r}", argv)
    elif recs != expect:
        c.fail(f"{name}: the job ran {recs!r}, expected {expect!r}", argv)
    return out


def yaml_quoted(text):
    """`text` as a YAML double-quoted scalar: printable ASCII as it is,
    everything else as an escape that yaml-cpp decodes to the same bytes."""
    out = ['"']
    for ch in text:
        o = ord(ch)
        if ch in '"\\':
            out.append("\\" + ch)
        elif 0x20 <= o < 0x7F:
            out.append(ch)
        elif o < 0x80:
            out.append("\\x%02X" % o)
        else:
            out.append("\\U%08X" % o)
    out.append('"')
    return "".join(out)


def check_config(c, name, v):
    """The flag of position `name` moved into a config file: the same outcome
    as the flag right after `plan`."""
    argv = positions(v)[name][0]
    # Positions named for what they test; the flag they go through.
    key = {"env-name": "env", "sbatch-key": "sbatch"}.get(name, name)
    at = argv.index("--" + key)
    try:
        argv[at + 1].encode("utf-8")
    except UnicodeEncodeError:  # not UTF-8: no YAML file can hold it
        c.tally[("config-skipped", True)] = c.tally.get(("config-skipped", True), 0) + 1
        return
    key, value = argv[at][2:], argv[at + 1]
    system = argv[argv.index("--system") + 1]
    fd, path = tempfile.mkstemp(dir=c.work, suffix=".yaml")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(f"{system}:\n  {key}: {yaml_quoted(value)}\n")
    rest = argv[:at] + argv[at + 2:]
    flag_argv = [rest[0], argv[at], value] + rest[1:]
    rc_f, out_f, err_f = c.mlsub(flag_argv)
    rc, out, err = c.mlsub(["--config", path] + rest)
    os.remove(path)
    shown = ["--config", f"{system}: {{{key}: ...}}"] + rest
    c.tally[("config", rc == 0)] = c.tally.get(("config", rc == 0), 0) + 1
    if rc_f == 0:
        if rc != 0:
            c.fail(f"config {name}: refused where the flag is taken (exit {rc})", shown, err)
        elif out != out_f:
            c.fail(f"config {name}: a script other than the flag's", shown, out)
        return
    if rc != rc_f and not (rc_f == 2 and rc == 10):
        c.fail(f"config {name}: exit {rc}, the flag's is {rc_f}", shown, err)
    if rc != 0:
        check_rejection(c, f"config {name}", shown, 2 if rc == 10 else rc, out, err)


def main():
    values = load_values()
    if len(values) < 100:
        sys.exit(f"only {len(values)} values; the corpus must hold at least 100")
    # MLSUB_HOSTILE_EVERY=N takes every Nth value: scripts/test sets 4 for
    # the sanitizer build, where each plan is several times slower (the
    # normal build takes them all).
    every = int(os.environ.get("MLSUB_HOSTILE_EVERY", "1"))
    values = values[::every]
    with tempfile.TemporaryDirectory() as work:
        c = Checker(work)
        c.baseline = {}
        c.tally = {}
        good = {"partition": b"gpu", "time": b"10", "gpus": b"1", "env-name": b"X",
                "sbatch-key": b"comment", "dependency": b"afterok:1", "mail-type": b"END"}
        for name in positions(b"x"):
            argv = positions(good.get(name, b"x"))[name][0]
            rc, out, err = c.mlsub(argv)
            if rc != 0:
                sys.exit(f"baseline for {name} fails: {argv}: {err!r}")
            c.baseline[name] = out
        _, _, c.baseline_records, _, _, _ = c.run_job(c.baseline["env"], "baseline")

        cases = [(name, cut(v)) for v in values for name in positions(b"").keys()]
        scripts = []
        with concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
            for script in pool.map(lambda nv: check_one(c, *nv), cases):
                if script is not None:
                    scripts.append(script)

        # Every flag position from a config file instead.
        config_cases = [(name, v) for name, v in cases if name != "argument"]
        with concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
            list(pool.map(lambda nv: check_config(c, *nv), config_cases))

        # Every value as one more argument of a multi-GPU srun job.
        multi = ["plan", NO_MONITOR, "--system", SYSTEM, "--gpus", "2", "--launcher", "srun", "--account",
                 "project_2001234", "train.py", "--"] + [arg(cut(v)) for v in values]
        rc, out, err = c.mlsub(multi)
        if rc != 0:
            c.fail("srun job with every value: refused", ["..."], err)
        else:
            scripts.append(out)
            _, _, recs, _, canary, left = c.run_job(out, "srun")
            want = [[b"module", b"purge"], [b"module", b"load", b"pytorch"], [b"srun"],
                    [b"python3", b"train.py"] + [cut(v) for v in values]]
            if recs != want or canary or left:
                c.fail("srun job with every value: the program did not get them byte for byte",
                       ["..."], repr(recs[-1:])[:2000].encode())

        # And in a two-node torchrun job: srun starts python3 -m
        # torch.distributed.run, which gets them after the program.
        multi = ["plan", NO_MONITOR, "--system", SYSTEM, "--nodes", "2", "--gpus-per-node", "4",
                 "--launcher", "torchrun", "--account", "project_2001234", "train.py",
                 "--"] + [arg(cut(v)) for v in values]
        rc, out, err = c.mlsub(multi)
        if rc != 0:
            c.fail("torchrun job with every value: refused", ["..."], err)
        else:
            scripts.append(out)
            _, jerr, recs, _, canary, left = c.run_job(out, "torchrun")
            want = [b"train.py"] + [cut(v) for v in values]
            last = recs[-1] if recs else []
            if (not last or last[0] != b"python3" or last[-len(want):] != want or canary
                    or left):
                c.fail("torchrun job with every value: the program did not get them byte for "
                       "byte", ["..."], jerr + repr(recs)[:1500].encode())

        # shellcheck, in batches, on every distinct script.
        unique = sorted(set(scripts))
        files = []
        for i, s in enumerate(unique):
            p = os.path.join(work, f"s{i}.sh")
            with open(p, "wb") as f:
                f.write(s)
            files.append(p)
        for i in range(0, len(files), 200):
            p = subprocess.run(["shellcheck", "-s", "bash", "-f", "gcc"] + files[i:i + 200],
                               capture_output=True)
            if p.returncode != 0:
                for line in p.stdout.split(b"\n"):
                    if line:
                        path = line.split(b":", 1)[0]
                        with open(path, "rb") as f:
                            header = [l for l in f.read().split(b"\n") if l.startswith(b"#   mlsub")]
                        c.fail("shellcheck: " + line.decode(errors="replace"), ["..."],
                               header[0][:300] if header else b"")

        checked = len(cases) + len(config_cases) + 1
        for what, argv, detail in c.failures[:40]:
            print(f"FAIL {what}\n  argv: {argv!r}")
            if detail:
                print("  " + repr(detail[:600]))
        print("accepted/refused: " + ", ".join(
            f"{n} {c.tally.get((n, True), 0)}/{c.tally.get((n, False), 0)}" for n in positions(b""))
            + f"; from a config file {c.tally.get(('config', True), 0)}/"
            f"{c.tally.get(('config', False), 0)}, not UTF-8 (skipped) "
            f"{c.tally.get(('config-skipped', True), 0)}")
        print(f"{len(values)} values x {len(positions(b''))} positions: {checked} plans, "
              f"{len(unique)} distinct scripts, {len(c.failures)} failures")
        return 1 if c.failures else 0


if __name__ == "__main__":
    sys.exit(main())
