#!/bin/bash
# Hostile arguments come out quoted: the generated script, run by bash with
# stand-ins for python3, srun and singularity, hands every argument to the program byte
# for byte and runs nothing else.
. "$(dirname "$0")/lib.sh"

bin=$work/bin
mkdir -p "$bin"
# Stand-ins: record argv, one argument per NUL-terminated record.
cat >"$bin/python3" <<'SH'
#!/bin/bash
printf '%s\0' "$@" >"$ARGV_OUT"
SH
cat >"$bin/srun" <<'SH'
#!/bin/bash
export SLURM_PROCID=0 SLURM_LOCALID=0
exec "$@"
SH
cat >"$bin/scontrol" <<'SH'
#!/bin/bash
echo node001
SH
cat >"$bin/module" <<'SH'
#!/bin/bash
exit 0
SH
# LUMI runs the program in an image: `singularity run [FLAGS] IMAGE CMD...`.
cat >"$bin/singularity" <<'SH'
#!/bin/bash
shift
while [[ $1 == -* ]]; do shift; done
shift
exec "$@"
SH
chmod +x "$bin"/*

canary=$work/canary
hostile=(
  "'; touch $canary; '"
  "\$(touch $canary)"
  "\`touch $canary\`"
  "; touch $canary"
  "&& touch $canary"
  "| touch $canary"
  "\"\$(touch $canary)\""
  $'line one\nline two'
  $'tab\there'
  "back\\slash"
  "*"
  "~"
  "--lr=3e-4"
  "-x"
  ""
  " "
  "#SBATCH --partition=evil"
  $'x\n#SBATCH --partition=evil'
  "it's"
  "\${HOME}"
  "%j"
  $'caf\xc3\xa9'
  $'\xff\xfe'
  "[1,2]"
  "[a]"
  "model.layers=[1,2]"
  "[]"
)

for launcher in python srun; do
  gpus=1
  [ "$launcher" = srun ] && gpus=2
  run plan --system lumi --gpus "$gpus" --launcher "$launcher" train.py -- "${hostile[@]}"
  expect_rc 0
  cp "$out" "$work/job.sh"
  # Directives come only from mlsub: one per planned value, none injected.
  n=$(grep -c '^#SBATCH --partition=' "$work/job.sh")
  if [ "$n" -eq 1 ]; then ok; else bad "$launcher: $n partition directives"; fi
  if bash -n "$work/job.sh"; then ok; else bad "$launcher: bash -n fails"; fi
  if shellcheck -s bash "$work/job.sh"; then ok; else bad "$launcher: shellcheck fails"; fi
  rm -f "$canary" "$work/argv"
  (cd "$work" && PATH="$bin:$PATH" ARGV_OUT="$work/argv" SLURM_JOB_NODELIST=node001 \
     SLURM_JOB_ID=42 SLURM_NTASKS=1 bash "$work/job.sh")
  if [ -e "$canary" ]; then bad "$launcher: a hostile argument ran a command"; else ok; fi
  printf '%s\0' train.py "${hostile[@]}" >"$work/expected"
  if cmp -s "$work/argv" "$work/expected"; then ok; else
    bad "$launcher: the program did not receive its arguments byte for byte"
    od -c "$work/argv" | head -20
  fi
done

# The header's command line is quoted too: regenerating from it gives the
# same script.
run plan --system lumi --gpus 1 --job-name 'my job' train.py -- "${hostile[@]}"
cp "$out" "$work/first.sh"
regen=$(sed -n 's/^#   mlsub //p' "$work/first.sh")
eval "set -- $regen"
run "$@"
if cmp -s "$out" "$work/first.sh"; then ok; else bad "the header's command does not regenerate the script"; fi
expect_stdout_has "#SBATCH --job-name='my job'"

# The same values from a project config file (.mlsub.yaml), each the value
# of an --env variable H0, H1, ...: the program finds them byte for byte,
# nothing else runs, and the header (which writes them out as --env flags)
# makes the same script without the file. A YAML file holds text: the value
# that is not UTF-8 cannot be in it and is left out.
mkdir -p "$work/proj" "$work/bin2"
cp "$bin"/* "$work/bin2/"
cat >"$work/bin2/python3" <<'SH'
#!/bin/bash
i=0
while v=H$i && [ -n "${!v+set}" ]; do printf '%s\0' "${!v}"; i=$((i + 1)); done >"$ARGV_OUT"
SH
chmod +x "$work/bin2/python3"
/usr/bin/python3 - "$work/proj/.mlsub.yaml" "$work/expected" "${hostile[@]}" <<'PY'
import os, sys
values = []
for raw in map(os.fsencode, sys.argv[3:]):
    try:
        values.append(raw.decode("utf-8"))
    except UnicodeDecodeError:
        pass
def quoted(t):
    return '"' + "".join("\\" + c if c in '"\\' else c if 0x20 <= ord(c) < 0x7F
                         else "\\x%02X" % ord(c) if ord(c) < 0x80 else "\\U%08X" % ord(c)
                         for c in t) + '"'
with open(sys.argv[1], "w", encoding="utf-8") as f:
    f.write("lumi:\n  env:\n" + "".join(f"    - {quoted(f'H{i}={v}')}\n"
                                       for i, v in enumerate(values)))
with open(sys.argv[2], "wb") as f:
    f.write(b"".join(v.encode() + b"\0" for v in values))
PY
MLSUB_PROJECT_CONFIG=$work/proj/.mlsub.yaml run plan --system lumi --gpus 1 train.py
expect_rc 0
cp "$out" "$work/config.sh"
n=$(grep -c '^#SBATCH --partition=' "$work/config.sh")
if [ "$n" -eq 1 ]; then ok; else bad "config: $n partition directives"; fi
if shellcheck -s bash "$work/config.sh"; then ok; else bad "config: shellcheck fails"; fi
rm -f "$canary" "$work/argv"
(cd "$work" && PATH="$work/bin2:$PATH" ARGV_OUT="$work/argv" SLURM_JOB_NODELIST=node001 \
   SLURM_JOB_ID=42 SLURM_NTASKS=1 bash "$work/config.sh")
if [ -e "$canary" ]; then bad "config: a hostile value ran a command"; else ok; fi
if cmp -s "$work/argv" "$work/expected"; then ok; else
  bad "config: the program did not find the config file's values byte for byte"
  od -c "$work/argv" | head -20
fi
regen=$(sed -n 's/^#   mlsub //p' "$work/config.sh")
eval "set -- $regen"
MLSUB_PROJECT_CONFIG= run "$@"  # without the file
if cmp -s "$out" "$work/config.sh"; then ok; else bad "config: the header does not make the same script"; fi

finish
