#!/bin/bash
# Issue 17: program arguments arrive byte for byte; the sbatch options mlsub
# does not plan (first-class flags and --sbatch KEY=VALUE) reach the script,
# are checked where the catalogue knows the site's values, are explained,
# and survive a re-plan from the script's header.
. "$(dirname "$0")/lib.sh"

acct=(--account project_2001234)

# --- Program arguments arrive as typed: CLI11 must not read '[1,2]' as a list.
run plan --system roihu --gpus 1 "${acct[@]}" train.py -- '[1,2]' '[a]' 'model.layers=[1,2]' '[]'
expect_rc 0
expect_stdout_has "python3 train.py '[1,2]' '[a]' 'model.layers=[1,2]' '[]'"
cp "$out" "$work/brackets.sh"
run plan --check "$work/brackets.sh"
expect_rc 0
# The same for the values of the other flags that take free text.
run plan --system roihu --gpus 1 "${acct[@]}" --json --env 'LAYERS=[1,2]' --venv '[v]' \
  --module '[m]' train.py -- '[x]'
expect_rc 0
expect_stdout_has '"LAYERS",'
expect_stdout_has '"[1,2]"'
expect_stdout_has '"[v]/bin/activate"'
expect_stdout_has '"[m]"'
expect_stdout_has '"[x]"'

# --- --sweep splits at commas; \, is a comma inside a value.
run plan --system roihu --gpus 1 "${acct[@]}" --json --sweep 'layers=[1\,2],[3\,4\,5]' train.py
expect_rc 0
expect_stdout_has '"0-1"'
python3 - "$out" <<'PY' && ok || bad "--sweep with \\, did not give [1,2] and [3,4,5]"
import json, sys
plan = json.load(open(sys.argv[1]))
assert plan["sweep"] == [["--layers", "[1,2]"], ["--layers", "[3,4,5]"]], plan["sweep"]
PY

# --- First-class flags: rendered as #SBATCH lines, shown in --explain.
run plan --system alps-clariden --gpus 4 --account a01 --uenv pytorch/v2.9.1:/user-environment \
  --constraint 'thp_never&nvidia_vboost_enabled' --qos debug --reservation course \
  --dependency afterok:123456:123457 --mail-type END,FAIL --mail-user me@example.org \
  --exclusive --explain train.py
expect_rc 0
expect_stdout_has "#SBATCH --constraint='thp_never&nvidia_vboost_enabled'"
expect_stdout_has "#SBATCH --qos=debug"
expect_stdout_has "#SBATCH --reservation=course"
expect_stdout_has "#SBATCH --dependency=afterok:123456:123457"
expect_stdout_has "#SBATCH --mail-type=END,FAIL"
expect_stdout_has "#SBATCH --mail-user=me@example.org"
expect_stdout_has "#SBATCH --exclusive"
expect_stderr_has "CSCS observed better throughput"  # the catalogue's meaning of the constraint
expect_stderr_has "the catalogue records no QOS names for alps-clariden"
expect_stderr_has "source: https://docs.cscs.ch/software/ml/pytorch/"
cp "$out" "$work/clariden.sh"
# The header's command carries them: the script re-plans to itself...
run plan --check "$work/clariden.sh"
expect_rc 0
# ...and mlsub check finds nothing wrong with them.
run check "$work/clariden.sh"
expect_rc 0

# A constraint expression is checked part by part against the catalogue.
run plan --system alps-clariden --gpus 4 --uenv pytorch/v2.9.1 --constraint 'thp_never&nvidia_vboost_enable' train.py
expect_rc 2; expect_stdout_empty
expect_stderr "mlsub: error: --constraint: alps-clariden documents no feature 'nvidia_vboost_enable'; did you mean 'nvidia_vboost_enabled'? (mlsub show alps-clariden lists them)"
run plan --system alvis --gpus 1 --constraint 'MEM512|bigdisk' --explain train.py
expect_rc 0
expect_stdout_has "#SBATCH --constraint='MEM512|bigdisk'"
expect_stderr_has "the catalogue does not list the feature bigdisk (it lists MEM512, NOGPU)"
expect_stderr_has "the A100 nodes with 512 GB"
# No constraint names in the catalogue: said, not invented.
run plan --system lumi --gpus 1 --constraint anything --explain train.py
expect_rc 0
expect_stderr_has "the catalogue records no constraint names for lumi"
run plan --system lumi --gpus 1 --constraint 'a b' train.py
expect_rc 2; expect_stderr_has "holds a blank"

# Form checks.
run plan --system lumi --gpus 1 --mail-type END,FIAL train.py
expect_rc 2; expect_stdout_empty
expect_stderr_has "--mail-type: Slurm has no mail type 'FIAL'; did you mean 'FAIL'?"
run plan --system lumi --gpus 1 --mail-type end,time_limit_90 train.py
expect_rc 0; expect_stdout_has "#SBATCH --mail-type=end,time_limit_90"
run plan --system lumi --gpus 1 --mail-user me@example.org train.py
expect_rc 0; expect_stderr_has "--mail-user without --mail-type: Slurm sends no mail"
for dep in 'afterok:abc' 'afterok:' 'after:1,afterany:2?singleton' 'before:12' 'afterok:1+5' ''; do
  run plan --system lumi --gpus 1 --dependency "$dep" train.py
  expect_rc 2; expect_stdout_empty
done
for dep in 'singleton' 'after:12+30' 'afterany:12_3:14' 'afterok:1?afternotok:2'; do
  run plan --system lumi --gpus 1 --dependency "$dep" train.py
  expect_rc 0; expect_stdout_has "#SBATCH --dependency="
done
run plan --system lumi --gpus 1 --qos 'high;x' train.py
expect_rc 2; expect_stderr_has "a name is made of letters"
run plan --system lumi --gpus 1 --exclusive train.py
expect_rc 0; expect_stderr_has "--exclusive takes whole nodes: the job is billed for 8 GPUs"

# --- --sbatch KEY=VALUE: sbatch's other options.
run plan --system lumi --gpus 1 --sbatch hint=nomultithread --sbatch 'comment=two words' \
  --sbatch requeue --explain train.py
expect_rc 0
expect_stdout_has "#SBATCH --hint=nomultithread"
expect_stdout_has "#SBATCH --comment='two words'"
expect_stdout_has "#SBATCH --requeue"
expect_stderr_has "passed through with --sbatch"
cp "$out" "$work/pass.sh"
run plan --check "$work/pass.sh"
expect_rc 0
run plan --system lumi --gpus 1 --sbatch hitn=nomultithread train.py
expect_rc 2; expect_stdout_empty
expect_stderr_has "sbatch has no option hitn; did you mean 'hint'?"
run plan --system lumi --gpus 1 --sbatch gres=gpu:mi250:2 train.py
expect_rc 2
expect_stderr "mlsub: error: --sbatch gres: mlsub writes the GPU request: use --gpus, --gpus-per-node, --gpu-type (and --local-disk)"
run plan --system lumi --gpus 1 --sbatch partition=standard-g train.py
expect_rc 2; expect_stderr_has "use --partition"
run plan --system lumi --gpus 1 --sbatch account=project_465000001 train.py
expect_rc 2; expect_stderr_has "use --account"
run plan --system lumi --gpus 1 --sbatch nodes=2 train.py
expect_rc 2; expect_stderr_has "use --nodes"
run plan --system lumi --gpus 1 --sbatch constraint=x train.py
expect_rc 2; expect_stderr_has "use --constraint"
run plan --system lumi --gpus 1 --sbatch --hint=x train.py
expect_rc 2; expect_stderr_has "write the option without dashes, e.g. --sbatch hint=x"
run plan --system lumi --gpus 1 --sbatch requeue=yes train.py
expect_rc 2; expect_stderr_has "the option takes no value"
run plan --system lumi --gpus 1 --sbatch hint train.py
expect_rc 2; expect_stderr_has "the option needs a value"
run plan --system lumi --gpus 1 --sbatch hint=a --sbatch hint=b train.py
expect_rc 2; expect_stderr_has "given twice"
run plan --system lumi --gpus 1 --sbatch $'comment=a\n#SBATCH --partition=evil' train.py
expect_rc 2; expect_stdout_empty; expect_stderr_has "holds a newline"
run plan --system lumi --gpus 1 --requeue-on-timeout 120 --sbatch signal=B:USR1@60 train.py
expect_rc 2; expect_stderr_has "--requeue-on-timeout sets the signal"

# mem and cpus-per-task may raise what mlsub plans, within the node and
# the site's rules (the catalogue's cores per GPU, which mlsub plans).
run plan --system lumi --gpus 1 --account project_465000123 --sbatch mem=120G --sbatch cpus-per-task=7 --explain train.py
expect_rc 0
expect_stdout_has "#SBATCH --mem=120G"
expect_stdout_has "#SBATCH --cpus-per-task=7"
expect_stdout_lacks "#SBATCH --mem=60G"
expect_stderr_has "overridden with --sbatch mem=120G (mlsub planned 60G"
expect_stderr_has "mlsub: warning: --sbatch mem=120G is more than lumi's 60G per GPU"
cp "$out" "$work/raised.sh"
run plan --check "$work/raised.sh"
expect_rc 0
run check "$work/raised.sh"
expect_rc 0
run plan --system lumi --gpus 1 --sbatch cpus-per-task=14 train.py
expect_rc 3; expect_stdout_empty
expect_stderr "mlsub: error: lumi: --sbatch cpus-per-task=14 is over the site's 7 CPU cores per GPU (56 of the 64 cores are usable (low-noise mode), so at most 7 per GCD); with 1 GPU and 1 task per node, it can be at most 7: ask for more GPUs for more cores"
run plan --system lumi --gpus 1 --sbatch mem=10G train.py
expect_rc 2; expect_stderr_has "--sbatch mem=10G is less than the 60G mlsub plans"
run plan --system lumi --gpus 1 --sbatch mem=2T train.py
expect_rc 3; expect_stderr_has "lumi: mi250x nodes have 480G of memory"
run plan --system lumi --gpus 1 --sbatch cpus-per-task=4 train.py
expect_rc 2; expect_stderr_has "it may only raise it"
run plan --system lumi --gpus 8 --sbatch cpus-per-task=8 train.py
expect_rc 3; expect_stderr_has "with 8 GPUs and 8 tasks per node, it can be at most 7"
# Where the site gives a fixed memory share with each GPU, mem cannot change.
run plan --system mahti --gpu-type a100_1g.5gb --gpus 1 --sbatch mem=20G train.py
expect_rc 3
expect_stderr "mlsub: error: mahti: each a100_1g.5gb comes with 17920M of memory and no other amount; leave out --sbatch mem"
# Where the site assigns memory itself, mem may ask for more, up to the node's.
run plan --system alvis --gpus 1 --sbatch mem=200G train.py
expect_rc 0; expect_stdout_has "#SBATCH --mem=200G"
run plan --system alvis --gpus 1 --sbatch mem=300G train.py
expect_rc 3; expect_stderr_has "alvis: A40 nodes have 256G of memory"

# --- An unknown option says what mlsub has and where sbatch options go.
run plan --system lumi --gpus 1 --acount project_465000001 train.py
expect_rc 2; expect_stdout_empty; expect_stderr_lines 1
expect_stderr_has "mlsub plan has no option --acount; did you mean '--account'?"
expect_stderr_has "sbatch options go in --sbatch KEY=VALUE"
run plan --system lumi --gpus 1 --hint=nomultithread train.py
expect_rc 2; expect_stderr_lines 1
expect_stderr_has "it is an sbatch option: pass it as --sbatch hint=nomultithread"
run submit --system lumi --gpus 1 --mem 100G train.py
expect_rc 2
expect_stderr_has "pass it as --sbatch mem=VALUE"

finish
