#!/bin/bash
# Bash completion: sourced from `mlsub completion bash`, it completes
# commands, flags and system names (read from the catalogue at completion
# time, so a user's own system appears too); the installed file is the same.
. "$(dirname "$0")/lib.sh"
mkdir -p "$work/bin"
ln -s "$MLSUB" "$work/bin/mlsub"
export PATH=$work/bin:$PATH

complete_words() {  # complete_words WORD...: COMPREPLY for the last word
  COMP_WORDS=("$@")
  COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
  COMPREPLY=()
  _mlsub
  [ "${#COMPREPLY[@]}" -eq 0 ] && return 0
  printf '%s\n' "${COMPREPLY[@]}" | sort | tr '\n' ' '
}

last_command="mlsub completion bash"
"$MLSUB" completion bash >"$work/completion.bash" 2>"$err"
bash -n "$work/completion.bash" && ok || bad "the script does not parse"
shellcheck -s bash "$work/completion.bash" && ok || bad "shellcheck"
# shellcheck disable=SC1091
. "$work/completion.bash"

check() {  # check EXPECTED WORD...
  local want=$1
  shift
  local got
  got=$(complete_words "$@")
  last_command="complete: $*"
  [ "$got" = "$want" ] && ok || bad "got '$got', expected '$want'"
}
check "plan " mlsub pl
check "show status submit systems " mlsub s
check "lumi " mlsub plan --system lu
check "alps-clariden alps-daint alps-santis " mlsub show alps
check "--gpu-type --gpus --gpus-per-node " mlsub plan --gpu
check "--dry-run " mlsub submit --dr
check "srun " mlsub plan --launcher sr
check "accelerate " mlsub plan --launcher acc
check "--plain-edf " mlsub plan --plain
check "check " mlsub che
check "--strict --system " mlsub check --s
check "github " mlsub check --format g
check "gpu-syntax gpu-type gpus-limit " mlsub check --ignore gp
check "lumi " mlsub check --system lu
check "" mlsub plan --system lumi train.py -- --sys
# A user's own system is offered as soon as it exists.
mkdir -p "$work/xdg/mlsub/systems"
sed 's/^name: lumi$/name: lumi-test/' "$MLSUB_SOURCE_DIR/systems/lumi.yaml" >"$work/xdg/mlsub/systems/lumi-test.yaml"
XDG_CONFIG_HOME=$work/xdg check "lumi lumi-test " mlsub plan --system lu
finish
