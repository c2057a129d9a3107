#!/usr/bin/python3
"""Writes a Slurm configuration that replicates each catalogued site.

Input: `mlsub systems --json` on stdin. Output, under DIR/<system>/:
slurm.conf, gres.conf, job_submit.lua, and `real-nodes` (the nodes that get
a slurmd). Every node of the site is declared (State=CLOUD, so that
`sbatch --test-only` judges against the real node shapes without a slurmd);
a few extra nodes per site, `<system>-real[1-N]`, are real: a slurmd runs
for each, claiming the site's cores, memory and GPUs (fake GPU devices made
with mknod), so that small jobs run for real.

Usage: labconf.py DIR BASE_PORT [REAL_NODES_PER_SITE] < systems.json
"""
import json
import os
import re
import sys

UNITS = {"K": 1 / 1024, "M": 1, "G": 1024, "T": 1024 * 1024}


def megabytes(size):
    m = re.fullmatch(r"(\d+)([KMGT]?)", size)
    if not m:
        raise SystemExit(f"labconf: cannot read size {size!r}")
    return int(int(m.group(1)) * UNITS[m.group(2) or "M"])


def minutes(duration):
    """Slurm's D-HH:MM:SS / HH:MM:SS / MM as whole minutes."""
    days = 0
    if "-" in duration:
        d, duration = duration.split("-", 1)
        days = int(d)
    parts = [int(p) for p in duration.split(":")]
    while len(parts) < 3:
        parts.insert(0, 0)
    h, m, s = parts
    return days * 1440 + h * 60 + m + (1 if s else 0)


def lua_pattern(regex):
    """A Lua pattern for the simple regexes the catalogue uses for accounts:
    literals, [...] classes, {n} and + repetition. Anything else is refused
    so that the lab never enforces something other than the catalogue."""
    out = []
    i = 0
    while i < len(regex):
        c = regex[i]
        if c == "[":
            j = regex.index("]", i)
            atom = regex[i : j + 1]
            i = j + 1
        elif c.isalnum() or c == "_":
            atom = c
            i += 1
        elif c in "-.":
            atom = "%" + c
            i += 1
        else:
            raise SystemExit(f"labconf: account pattern {regex!r}: cannot translate {c!r}")
        if i < len(regex) and regex[i] == "{":
            j = regex.index("}", i)
            out.append(atom * int(regex[i + 1 : j]))
            i = j + 1
        elif i < len(regex) and regex[i] == "+":
            out.append(atom + "+")
            i += 1
        else:
            out.append(atom)
    return "^" + "".join(out) + "$"


def node_names(system, node_type, multi):
    # Node names take letters, digits and '-' (a MIG type: a100_1g.5gb).
    kind = re.sub(r"[^a-z0-9-]", "-", node_type["name"].lower())
    prefix = f"{system['name']}-{kind}" if multi else system["name"]
    width = max(3, len(str(node_type["count"])))
    return f"{prefix}-[{1:0{width}d}-{node_type['count']:0{width}d}]"


def write_site(root, system, port, real_count):
    name = system["name"]
    site = os.path.join(root, name)
    os.makedirs(os.path.join(site, "state"), exist_ok=True)
    os.makedirs(os.path.join(site, "dev"), exist_ok=True)
    types = system["node_types"]
    multi = len(types) > 1
    default = types[0]
    real = [f"{name}-real{i}" for i in range(1, real_count + 1)]
    conf = [
        f"# Replica of {name} ({system['title']}), made by tests/slurm/labconf.py",
        f"ClusterName={name.replace('-', '')}",
        "SlurmctldHost=localhost(127.0.0.1)",
        f"SlurmctldPort={port}",
        f"SlurmdPort={port + 1}",
        "AuthType=auth/munge",
        "CredType=cred/munge",
        f"AuthInfo=socket={root}/munge/munge.socket.2",
        "SlurmUser=root",
        "SlurmdUser=root",
        f"StateSaveLocation={site}/state",
        f"SlurmdSpoolDir={site}/spool-%n",
        f"SlurmctldPidFile={site}/slurmctld.pid",
        f"SlurmdPidFile={site}/slurmd-%n.pid",
        f"SlurmctldLogFile={site}/slurmctld.log",
        f"SlurmdLogFile={site}/slurmd-%n.log",
        "ProctrackType=proctrack/linuxproc",
        "TaskPlugin=task/none",
        "SelectType=select/cons_tres",
        "SelectTypeParameters=CR_Core_Memory",
        "GresTypes=" + ",".join(["gpu"] + sorted({t["local_disk"]["gres"] for t in types
                                                   if t.get("local_disk")})),
        "EnforcePartLimits=ALL",
        "SchedulerParameters=batch_sched_delay=0",
        # The CLOUD nodes (powered down: no slurmd) are listed by scontrol
        # show node and sinfo, so that mlsub catalogue verify and import see
        # the site's node types.
        "PrivateData=cloud",
        "CommunicationParameters=NoCtldInAddrAny,NoInAddrAny",
        "SlurmdParameters=config_overrides",
        "JobSubmitPlugins=lua",
        "MpiDefault=none",
        "ReturnToService=2",
        "SlurmctldTimeout=30",
        "SlurmdTimeout=30",
        "InactiveLimit=0",
        "KillWait=5",
        "MinJobAge=300",
        "JobCompType=jobcomp/filetxt",
        f"JobCompLoc={site}/jobcomp.txt",
        # Job ids of their own per site and per lab: scripts derive
        # MASTER_PORT from the job id, and every lab on this machine shares
        # 127.0.0.1, so two labs counting from 1 collide on the port.
        f"FirstJobId={1 + ((port - 10000) // 20) % 400 * 50}",
        # Node-local temporary space per node (all nodes share this
        # machine's /tmp): srun --mpi=pmix makes its client directories
        # there, named by job and step only.
        f"TmpFS={site}/tmp-%n",
    ]
    spank = os.environ.get("MLSUB_LAB_SPANK")
    if spank and uses_spank(system):
        # Alps: uenv (--uenv, --view) and the Container Engine
        # (--environment) are SPANK options; the lab's stand-in plugin takes
        # them (tests/slurm/site/uenv_spank.c).
        conf.append(f"PlugStackConfig={site}/plugstack.conf")
        with open(os.path.join(site, "plugstack.conf"), "w") as f:
            f.write(f"required {spank} root={root}/sw/{name}\n")
    conf.append("")
    gres = ["AutoDetect=off"]
    nodes_of_type = {}
    def local_disk(t):
        """',nvme:3600' for nodes with node-local disk (in GB, as sites count it)."""
        d = t.get("local_disk")
        return f",{d['gres']}:{megabytes(d['max']) // 1024}" if d else ""

    # The node features the catalogue lists (constraints:, an expression
    # like a&b taken apart), on every node: the lab judges their spelling
    # (-C), not which nodes have them.
    features = sorted({f for c in system.get("constraints", [])
                       for f in re.split(r"[&|\[\]()*]", c["name"]) if f and not f.isdigit()})
    for t in types:
        gpu = f"gpu:{t['gpu_type']}:{t['gpus']}{local_disk(t)}"
        shape = f"CPUs={t['cores']} RealMemory={megabytes(t['memory'])} Gres={gpu}"
        names = node_names(system, t, multi)
        nodes_of_type[t["name"]] = [names]
        # Weight: the scheduler fills real nodes first, so small jobs run.
        conf.append(f"NodeName={names} {shape} State=CLOUD NodeAddr=127.0.0.1 Weight=100" +
                    (f" Features={','.join(features)}" if features else ""))
    # Real nodes have the default node type's shape.
    dshape = (f"CPUs={default['cores']} RealMemory={megabytes(default['memory'])} "
              f"Gres=gpu:{default['gpu_type']}:{default['gpus']}{local_disk(default)}")
    for i, node in enumerate(real):
        os.makedirs(os.path.join(site, f"tmp-{node}"), exist_ok=True)
        # Feature lab_real: suites that must not land on a CLOUD node (no
        # slurmd: the job would wait in CONFIGURING) ask for it.
        conf.append(f"NodeName={node} {dshape} NodeAddr=127.0.0.1 Port={port + 2 + i} Weight=1 "
                    f"Features={','.join(['lab_real'] + features)}")
        devs = []
        for g in range(default["gpus"]):
            dev = os.path.join(site, "dev", f"{node}-gpu{g}")
            if not os.path.exists(dev):
                os.mknod(dev, 0o666 | 0o020000, os.makedev(1, 3))  # a copy of /dev/null
            devs.append(dev)
        # The variable Slurm sets for the job's GPUs, as on the site:
        # ROCR_VISIBLE_DEVICES for AMD GPUs (LUMI), CUDA_VISIBLE_DEVICES for
        # NVIDIA ones (gres.conf Flags, Slurm 21.08 and later).
        env_flag = "amd_gpu_env" if default.get("gpu_vendor") == "amd" else "nvidia_gpu_env"
        for dev in devs:
            gres.append(f"NodeName={node} Name=gpu Type={default['gpu_type']} File={dev} "
                        f"Flags={env_flag}")
        if default.get("local_disk"):
            d = default["local_disk"]
            gres.append(f"NodeName={node} Name={d['gres']} Count={megabytes(d['max']) // 1024}")
    nodes_of_type[default["name"]].extend(real)
    conf.append("")
    all_nodes = ",".join(n for t in types for n in nodes_of_type[t["name"]])
    for p in system["partitions"]:
        if p["node_types"]:
            nodes = ",".join(n for t in p["node_types"] for n in nodes_of_type[t])
        else:
            nodes = all_nodes
        line = (f"PartitionName={p['name']} Nodes={nodes} MaxTime={minutes(p['max_time'])} "
                f"MaxNodes={p['max_nodes']} MinNodes={p['min_nodes']} State=UP")
        if p["whole_node"]:
            line += " OverSubscribe=EXCLUSIVE"
        if p.get("default"):
            line += " Default=YES"  # where a job that names no partition runs
        conf.append(line)
    with open(os.path.join(site, "slurm.conf"), "w") as f:
        f.write("\n".join(conf) + "\n")
    with open(os.path.join(site, "gres.conf"), "w") as f:
        f.write("\n".join(gres) + "\n")
    with open(os.path.join(site, "job_submit.lua"), "w") as f:
        f.write(job_submit_lua(system))
    with open(os.path.join(site, "real-nodes"), "w") as f:
        f.write("".join(f"{n} {port + 2 + i}\n" for i, n in enumerate(real)))
    with open(os.path.join(site, "port"), "w") as f:
        f.write(f"{port}\n")


def uses_spank(system):
    """CSCS's Alps systems take uenv and Container Engine options (the
    catalogue's `family: alps`)."""
    return system.get("family") == "alps"


def job_submit_lua(system):
    """Per-job limits that Slurm alone enforces only with accounting (QOS):
    GPUs, CPUs and node-minutes per job per partition, the jobs one user
    may have submitted (an array counts its tasks), the GPUs of a type one
    job may take (a MIG slice), and the account's form."""
    def lua(v):
        return "nil" if v is None else str(v)
    limits = []
    for p in system["partitions"]:
        limits.append(
            "  [%s] = {min_gpus = %d, max_gpus = %s, max_cpus = %s, max_node_minutes = %s, "
            "max_jobs = %s},"
            % (json.dumps(p["name"]), p["min_gpus"], lua(p["max_gpus"]), lua(p["max_cpus"]),
               lua(p["max_node_minutes"]), lua(p.get("max_jobs_per_user"))))
    type_caps = [f"  [{json.dumps(t['gpu_type'])}] = {t['max_per_job']},"
                 for t in system["node_types"] if t.get("max_per_job") is not None]
    pattern = system["account"].get("pattern")
    account = json.dumps(lua_pattern(pattern)) if pattern else "nil"
    # Alps: a job with no GPU option still gets every GPU of its (exclusive)
    # nodes, so the GPU limits do not apply to it.
    implicit = "true" if system["gpu_request"].get("all_gpus_without_request") else "false"
    return f"""-- Generated by tests/slurm/labconf.py from systems/{system['name']}.yaml.
local limits = {{
{chr(10).join(limits)}
}}
local type_caps = {{
{chr(10).join(type_caps)}
}}
local account_pattern = {account}
local all_gpus_without_request = {implicit}
local NO_VAL = 4294967294

local NO_VAL16 = 65534  -- "not set" in 16-bit fields such as cpus_per_task

local function count(v)
  if v == nil or v >= NO_VAL then return 1 end
  return v
end

local function count16(v)
  if v == nil or v >= NO_VAL16 then return 1 end
  return v
end

-- GPUs per node from tres_per_node: "gres:gpu:4", "gres:gpu:a100:4",
-- "gres:gpu:v100:1,gres:nvme:100" (the gpu entry's last field is its count,
-- the one before it the type, if any).
local function gpus_per_node(job)
  local seg = string.match(job.tres_per_node or "", "gpu[^,]*")
  if seg == nil then return 0, nil end
  local parts = {{}}
  for p in string.gmatch(seg, "[^:]+") do table.insert(parts, p) end
  local gpu_type = nil
  if #parts >= 3 then gpu_type = parts[#parts - 1] end
  return tonumber(parts[#parts]) or 1, gpu_type
end

-- Tasks of an --array spec: "0-9", "0-9:2,20", "1,3,5%2".
local function array_tasks(spec)
  if spec == nil or spec == "" then return 1 end
  local list = string.match(spec, "^[^%%]*")
  local n = 0
  for item in string.gmatch(list, "[^,]+") do
    local a, b, step = string.match(item, "^(%d+)-(%d+):?(%d*)$")
    if a ~= nil then
      step = tonumber(step) or 1
      n = n + math.floor((tonumber(b) - tonumber(a)) / step) + 1
    else
      n = n + 1
    end
  end
  return n
end

function slurm_job_submit(job, part_list, uid)
  if account_pattern ~= nil and job.account ~= nil and not string.match(job.account, account_pattern) then
    slurm.log_user("account %s is not of the form %s", job.account, account_pattern)
    return slurm.ESLURM_INVALID_ACCOUNT
  end
  local limit = limits[job.partition or ""]
  if limit == nil then return slurm.SUCCESS end
  local nodes = count(job.min_nodes)
  local per_node, gpu_type = gpus_per_node(job)
  local gpus = per_node * nodes
  local cap = type_caps[gpu_type or ""]
  if cap ~= nil and gpus > cap then
    slurm.log_user("at most %d %s per job, the job asks for %d", cap, gpu_type, gpus)
    return slurm.ESLURM_ACCOUNTING_POLICY
  end
  local tasks = array_tasks(job.array_inx)
  if limit.max_jobs ~= nil and tasks > limit.max_jobs then
    slurm.log_user("partition %s: %d jobs per user, the array has %d tasks", job.partition,
                   limit.max_jobs, tasks)
    return slurm.ESLURM_ACCOUNTING_POLICY
  end
  if gpus == 0 and all_gpus_without_request then
    -- no GPU option: the job sees its nodes' GPUs; nothing to limit here
  elseif gpus < limit.min_gpus or (limit.max_gpus ~= nil and gpus > limit.max_gpus) then
    slurm.log_user("partition %s: %d GPUs per job is outside %d-%s", job.partition, gpus,
                   limit.min_gpus, tostring(limit.max_gpus))
    return slurm.ESLURM_ACCOUNTING_POLICY
  end
  if limit.max_node_minutes ~= nil and job.time_limit ~= nil and job.time_limit < NO_VAL then
    if nodes * job.time_limit > limit.max_node_minutes then
      slurm.log_user("partition %s: %d nodes x %d minutes is over %d node-minutes", job.partition,
                     nodes, job.time_limit, limit.max_node_minutes)
      return slurm.ESLURM_ACCOUNTING_POLICY
    end
  end
  if limit.max_cpus ~= nil then
    local tasks = count(job.num_tasks)
    local cpus = tasks * count16(job.cpus_per_task)
    if cpus > limit.max_cpus then
      slurm.log_user("partition %s: %d CPUs per job is over %d", job.partition, cpus, limit.max_cpus)
      return slurm.ESLURM_ACCOUNTING_POLICY
    end
  end
  return slurm.SUCCESS
end

function slurm_job_modify(job, job_rec, part_list, uid)
  return slurm.SUCCESS
end
"""


def main():
    if len(sys.argv) < 3:
        raise SystemExit(__doc__)
    root = os.path.abspath(sys.argv[1])
    port = int(sys.argv[2])
    real = int(sys.argv[3]) if len(sys.argv) > 3 else 2
    systems = json.load(sys.stdin)
    for i, system in enumerate(systems):
        write_site(root, system, port + 20 * i, real)
        print(system["name"])


if __name__ == "__main__":
    main()
