#!/bin/bash
# Bad input gets one clear line on stderr, nothing on stdout, and the exit
# code documented in README.md.
. "$(dirname "$0")/lib.sh"

run plann --system lumi
expect_rc 2; expect_stdout_empty
expect_stderr "mlsub: error: unknown command 'plann'; did you mean 'plan'? commands: plan, check, systems, show, submit, status, cancel, logs, report, doctor, catalogue, completion, config (mlsub --help)"

run
expect_rc 2; expect_stderr_lines 1; expect_stderr_has "no command given"

run plan --gpus 1 train.py
expect_rc 2; expect_stderr_lines 1; expect_stderr_has "--system is required"

run plan --system lumi train.py
expect_rc 2
expect_stderr "mlsub: error: say how many GPUs: --gpus N, or --nodes N with --gpus-per-node G"

run plan --system lumii --gpus 1 train.py
expect_rc 2; expect_stdout_empty
expect_stderr "mlsub: error: unknown system 'lumii'; did you mean 'lumi'? known systems: alps-clariden, alps-daint, alps-santis, alvis, jupiter, karolina, leonardo, lumi, mahti, puhti, roihu, vega (mlsub systems lists them)"

# A cluster's own name without its family; any case.
run plan --system daint --gpus 1 train.py
expect_rc 2; expect_stdout_empty
expect_stderr_has "mlsub: error: unknown system 'daint'; did you mean 'alps-daint'?"
run plan --system LUMI --gpus 1 --account project_465000123 train.py
expect_rc 0; expect_stdout_has "#SBATCH --partition=small-g"

# A misspelt partition or GPU type is a usage error, with the likely one.
run plan --system lumi --gpus 1 --partition smal-g train.py
expect_rc 2; expect_stdout_empty
expect_stderr "mlsub: error: lumi: no partition 'smal-g'; did you mean 'small-g'? partitions: dev-g, small-g, standard-g (mlsub show lumi)"
run plan --system alvis --gpus 1 --gpu-type A4O train.py
expect_rc 2
expect_stderr "mlsub: error: alvis: no GPU type 'A4O'; did you mean 'A40'? this system has A40, A100, A100fat, T4, V100 (mlsub show alvis)"

# Counts that do not fit say the counts that do (nodes of 4 on Puhti).
run plan --system puhti --gpus 3 --nodes 2 train.py
expect_rc 2
expect_stderr "mlsub: error: --gpus 3 does not split evenly over --nodes 2; use --gpus 2 or 4, or --nodes 1"
# A time limit past every partition: the one that allows the longest.
run plan --system lumi --gpus 1 --time 4-00:00:00 train.py
expect_rc 3
expect_stderr "mlsub: error: lumi: no partition can run 1 GPU on 1 node for 4-00:00:00: small-g allows at most 3-00:00:00, the request asks for 4-00:00:00; ask for --time 3-00:00:00 or less"
# --time 1:30 is 90 seconds to Slurm: a warning, not an error.
run plan --system lumi --gpus 1 --time 1:30 train.py
expect_rc 0; expect_stdout_has "#SBATCH --time=0:01:30"
expect_stderr_has "mlsub: warning: --time 0:01:30 is under 5 minutes: Slurm reads M:SS as minutes and seconds and a bare number as minutes; for 1 hour and 30 minutes write --time 1:30:00"
run plan --system lumi --gpus 1 --time 1:30:00 train.py
expect_rc 0
if grep -q "under 5 minutes" "$err"; then bad "1:30:00 was warned about"; else ok; fi
# Plurals and articles: "1 node", "an alvis account".
run plan --system puhti --gpus 7 train.py
expect_rc 3; expect_stderr_has "ask for 4 (1 node x 4) or 8 (2 nodes x 4)"
printf '#!/bin/bash\n#SBATCH --account=project_2001234\n#SBATCH --gpus-per-node=A40:1\n#SBATCH --time=1:00:00\nsrun python3 train.py\n' >"$work/alvis.sh"
run check --system alvis "$work/alvis.sh"
expect_stdout_has "--account=project_2001234 is not an alvis account"

run plan --system alps --gpus 4 train.py
expect_rc 2
expect_stderr "mlsub: error: 'alps' has several clusters: alps-clariden, alps-daint, alps-santis; name one, e.g. --system alps-clariden"

run plan --system lumi --gpus 0 train.py
expect_rc 2; expect_stderr "mlsub: error: --gpus must be a whole number from 1 to 65536, got '0'"

run plan --system lumi --gpus many train.py
expect_rc 2; expect_stderr_has "--gpus must be a whole number"

run plan --system lumi --gpus 1 --time 1h train.py
expect_rc 2; expect_stderr_has "invalid time '1h'"

run plan --system lumi --gpus 1 --launcher mpirun train.py
expect_rc 2; expect_stderr "mlsub: error: unknown launcher 'mpirun'; use one of: python, srun, torchrun, accelerate"

run plan --system lumi --gpus 1 train.py --lr 3e-4
expect_rc 2; expect_stderr_lines 1
expect_stderr_has "options meant for the program go after --"

run plan --system puhti --gpus 84 train.py
expect_rc 3; expect_stdout_empty
expect_stderr_has "mlsub: error: puhti: no partition can run 84 GPUs (21 nodes x 4) for 1:00:00: gpu allows at most 20 nodes per job"

run plan --system mahti --gpus 4 --partition gpusmall train.py
expect_rc 3
expect_stderr "mlsub: error: mahti: gpusmall allows at most 2 GPUs per job, the request has 4; ask for at most 2 GPUs, or use --partition gpumedium, which fits"

run plan --system lumi --gpus 1 --account nope train.py
expect_rc 3; expect_stderr_has "lumi: account 'nope' (from --account) is not of the site's form"

# An account from the environment that is not of the site's form is left
# aside with a note, not refused (tests/cli/config.sh).
MLSUB_ACCOUNT=alsonope run plan --system lumi --gpus 1 train.py
expect_rc 0; expect_stderr_has "\$MLSUB_ACCOUNT (alsonope) is not of lumi's account form"

run plan --system lumi --gpus 1 --job-name $'a\n#SBATCH --partition=evil' train.py
expect_rc 2; expect_stdout_empty; expect_stderr_has "--job-name holds a newline"

# An invalid catalogue: exit 4, the file, line and column named.
mkdir -p "$work/cat"
printf 'schema: 1\nname: broken\ntitle: [x\n' >"$work/cat/broken.yaml"
run --catalogue "$work/cat" plan --system broken --gpus 1 train.py
expect_rc 4; expect_stdout_empty
expect_stderr_has "mlsub: error: $work/cat/broken.yaml:"
expect_stderr_has "not valid YAML"

# A template asking for a key the plan lacks: exit 6.
printf '#!/bin/bash\n{{nonsense}}\n' >"$work/bad.mustache"
run plan --system lumi --gpus 1 --template "$work/bad.mustache" train.py
expect_rc 6; expect_stdout_empty; expect_stderr_has "the template uses nonsense"

# Data directory without systems: says what to set.
MLSUB_DATA_DIR=$work/empty run plan --system lumi --gpus 1 train.py
expect_rc 4; expect_stderr_has "set MLSUB_DATA_DIR"

# Software environment flags.
run plan --system lumi --gpus 1 --env '1X=2' train.py
expect_rc 2; expect_stderr_has "--env '1X=2': write KEY=VALUE"
run plan --system lumi --gpus 1 --env 'NOEQUALS' train.py
expect_rc 2; expect_stderr_has "write KEY=VALUE"
run plan --system roihu --gpus 1 --bind /scratch train.py
expect_rc 2; expect_stderr "mlsub: error: --bind is for --container; add --container IMAGE.sif"
run plan --system alps-daint --gpus 1 --container x.sif train.py
expect_rc 3; expect_stderr_has "does not say how this site runs container images"
run plan --system alps-daint --gpus 4 --account a01 --edf ./pytorch-amd64.toml train.py
expect_rc 0; expect_stderr_has "looks built for x86_64"; expect_stdout_has "srun --mpi=pmix --network=disable_rdzv_get --environment=./pytorch-amd64.toml bash -c"
run plan --system roihu --gpus 1 --container /p/torch-x86_64.sif train.py
expect_rc 0; expect_stderr_has "looks built for x86_64; it will not run there"; expect_stdout_has "apptainer exec --nv --bind=\"\$(csc-common-bind)\" /p/torch-x86_64.sif python3 train.py"

finish
