#!/usr/bin/python3
"""Every catalogue fact has a source and a date, or is marked assumed.

Usage: facts_sourced.py SYSTEMS_DIR   (with $MLSUB naming the binary)

For every systems/*.yaml:

1. Every block that states facts about the site (account, gpu_request,
   memory, launch and its binding and rendezvous, environment and its parts,
   monitoring, retired, each node type and its local_disk, each partition,
   each constraint) carries `source:` (an http(s) URL, or slurm://CLUSTER for
   what `mlsub catalogue import` read from a cluster's Slurm) and `checked:` (a
   real date, YYYY-MM-DD). The top level holds names and mlsub's own
   defaults (title, docs, default_time), not site facts.
2. `assumed:` and `sources:` name fields the block sets; an assumption
   says why in a sentence; a field's own source has a URL and a date.
3. A fact whose comment in the file calls it unverified, derived, inferred,
   undocumented or an assumption is listed under `assumed:` (or, where a
   page was found after all, under `sources:`). This is how the facts the
   audit of 2026-12 found unsourced had slipped in: a comment said so, and
   mlsub stated the value as the site's rule.
4. `mlsub show SYSTEM` marks every assumed value: each one is listed under
   "Assumed", with its reason.
"""

import datetime
import os
import re
import subprocess
import sys

import yaml

NOT_FACTS = {"name", "why", "why_cpus", "multi_node_advice", "source", "checked", "assumed",
             "sources", "gpu_model", "note", "warning", "advice", "meaning"}
DOUBT = re.compile(r"\b(unverified|derived|inferred|undocumented|not documented|"
                   r"assum\w*|guess\w*)\b", re.I)

failures = []


def fail(path, where, what):
    failures.append(f"{path}: {where}: {what}")


def value_of(mapping, key):
    for k, v in mapping.value:
        if k.value == key:
            return v
    return None


def scalar(node):
    return node.value if isinstance(node, yaml.ScalarNode) else None


def check_source(path, where, node):
    url = scalar(value_of(node, "source") or yaml.ScalarNode("tag:yaml.org,2002:null", ""))
    date = scalar(value_of(node, "checked") or yaml.ScalarNode("tag:yaml.org,2002:null", ""))
    if not url or not re.match(r"^(https?|slurm)://\S+$", url):
        fail(path, where, f"no source URL (got {url!r})")
    try:
        d = datetime.date.fromisoformat(date or "")
        if d.year < 2020:
            fail(path, where, f"checked {date} is before any page mlsub cites")
    except ValueError:
        fail(path, where, f"no checked date YYYY-MM-DD (got {date!r})")


def comment_of(lines, line_no, indent):
    """The comment on a key's line and the comment lines right above it."""
    text = []
    line = lines[line_no]
    hash_at = line.find(" #")
    if hash_at >= 0 and line.count('"', 0, hash_at) % 2 == 0:
        text.append(line[hash_at:])
    i = line_no - 1
    while i >= 0 and lines[i].strip().startswith("#"):
        if len(lines[i]) - len(lines[i].lstrip()) < indent:
            break
        text.append(lines[i])
        i -= 1
    return " ".join(text)


def check_block(path, lines, where, node, needs_source=True):
    if needs_source:
        check_source(path, where, node)
    keys = [k.value for k, _ in node.value]
    noted = {}
    for kind in ("assumed", "sources"):
        notes = value_of(node, kind)
        if notes is None:
            continue
        if not isinstance(notes, yaml.MappingNode):
            fail(path, f"{where}.{kind}", "expected a map field: ...")
            continue
        for k, v in notes.value:
            if k.value not in keys or k.value in NOT_FACTS:
                fail(path, f"{where}.{kind}.{k.value}", "names no fact of this block")
            noted[k.value] = kind
            if kind == "assumed":
                reason = scalar(v) or ""
                if len(reason.split()) < 4:
                    fail(path, f"{where}.assumed.{k.value}", "say why it is assumed, in a sentence")
            elif isinstance(v, yaml.MappingNode):
                check_source(path, f"{where}.sources.{k.value}", v)
            else:
                fail(path, f"{where}.sources.{k.value}", "expected source: and checked:")
    for k, v in node.value:
        key = k.value
        if key in NOT_FACTS:
            continue
        if isinstance(v, yaml.ScalarNode) or (isinstance(v, yaml.SequenceNode) and
                                             all(isinstance(i, yaml.ScalarNode) for i in v.value)):
            comment = comment_of(lines, k.start_mark.line, k.start_mark.column)
            if DOUBT.search(comment) and key not in noted:
                fail(path, f"{where}.{key}",
                     f"its comment doubts it ({DOUBT.search(comment).group(0)!r}) but it is "
                     "neither under assumed: nor under sources:")
    return {k: kind for k, kind in noted.items() if kind == "assumed"}


SUB_BLOCKS = {
    "launch": ["binding", "rendezvous"],
    "environment": ["uenv", "container_engine", "container"],
}


def check_file(path):
    with open(path) as f:
        text = f.read()
    lines = text.split("\n")
    root = yaml.compose(text)
    assumed = {}  # "where" -> {field: ...}
    for key in ("account", "gpu_request", "memory", "launch", "environment", "monitoring",
                "retired"):
        node = value_of(root, key)
        if node is None:
            continue
        assumed[key] = check_block(path, lines, key, node)
        for sub in SUB_BLOCKS.get(key, []):
            child = value_of(node, sub)
            if child is not None:
                check_block(path, lines, f"{key}.{sub}", child)
        if key == "environment":
            uenv = value_of(node, "uenv")
            js = value_of(uenv, "job_variables_source") if uenv is not None else None
            if js is not None:
                check_source(path, "environment.uenv.job_variables_source", js)
            modules = value_of(node, "deprecated_modules")
            for i, m in enumerate(modules.value if modules is not None else []):
                check_block(path, lines, f"environment.deprecated_modules[{i}]", m)
    for list_key in ("node_types", "partitions", "constraints"):
        seq = value_of(root, list_key)
        for i, item in enumerate(seq.value if seq is not None else []):
            name = scalar(value_of(item, "name"))
            where = f"{list_key}[{i}]"
            assumed[(list_key, name)] = check_block(path, lines, where, item)
            disk = value_of(item, "local_disk")
            if disk is not None:
                check_block(path, lines, f"{where}.local_disk", disk)
    return yaml.safe_load(text)["name"], assumed


def check_show(mlsub, system, assumed):
    out = subprocess.run([mlsub, "show", system], capture_output=True, text=True)
    if out.returncode != 0:
        fail(system, "mlsub show", out.stderr.strip())
        return
    listed = out.stdout.split("\nAssumed (", 1)
    section = listed[1] if len(listed) == 2 else ""
    for where, fields in assumed.items():
        if isinstance(where, tuple):
            kind = "node type" if where[0] == "node_types" else "partition"
            prefix = f"  {kind} {where[1]}: "
        else:
            prefix = f"  {where}."
        for field in fields:
            if f"\n{prefix}{field}: " not in "\n" + section:
                fail(system, "mlsub show", f"does not list {prefix.strip()}{field} as assumed")


def main():
    systems = sys.argv[1]
    mlsub = os.environ.get("MLSUB")
    files = sorted(f for f in os.listdir(systems) if f.endswith(".yaml"))
    total_assumed = 0
    for f in files:
        path = os.path.join(systems, f)
        name, assumed = check_file(path)
        total_assumed += sum(len(v) for v in assumed.values())
        if mlsub:
            check_show(mlsub, name, assumed)
    for line in failures:
        print("FAIL " + line)
    print(f"{len(files)} systems checked, {total_assumed} facts marked assumed, "
          f"{len(failures)} problems")
    sys.exit(1 if failures or not files else 0)


if __name__ == "__main__":
    main()
