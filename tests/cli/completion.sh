#!/bin/bash
# Completion for bash, zsh and fish: commands, flags, launchers and system
# names, and the chosen system's partitions and GPU types, all asked of
# mlsub at completion time (mlsub completion --list ...), so a user's own
# system appears too and a new flag needs no script change. Bash is driven
# through its completion function, fish through `complete -C`, zsh through
# its function with zsh's completion builtins recorded.
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
check "bash fish zsh " mlsub completion ""
# The chosen system's partitions and GPU types, from the catalogue.
check "small-g standard-g " mlsub plan --system lumi --gpus 8 --partition s
check "dev-g small-g standard-g " mlsub submit -s lumi -p ""
check "gpumedium " mlsub plan --system roihu --partition gpum
check "A100 A100fat " mlsub plan --system alvis --gpu-type A1
check "" mlsub plan --gpu-type A1
# Every flag mlsub plan has, and every launcher, with no second list.
last_command="mlsub completion --list flags --command plan"
want=$("$MLSUB" plan --help | grep -oE -- '^ +(-[a-zA-Z],)?--[a-z][a-z-]*' | sed 's/.*,//; s/^ *//' | sort -u | tr '\n' ' ')
got=$(complete_words mlsub plan --)
for flag in $want; do
  case " $got " in *" $flag "*) ok ;; *) bad "mlsub plan -- does not offer $flag" ;; esac
done
check "accelerate python srun torchrun " mlsub plan --launcher ""
# A user's own system is offered as soon as it exists.
mkdir -p "$work/xdg/mlsub/systems"
sed 's/^name: lumi$/name: lumi-test/' "$MLSUB_SOURCE_DIR/systems/lumi.yaml" >"$work/xdg/mlsub/systems/lumi-test.yaml"
XDG_CONFIG_HOME=$work/xdg check "lumi lumi-test " mlsub plan --system lu

# zsh and fish: Debian's shells, installed by scripts/deps.sh.
for shell in zsh fish; do
  command -v "$shell" >/dev/null || { echo "SKIP: $shell is not installed (scripts/deps.sh)"; exit 77; }
done

# fish: `complete -C LINE` prints what fish would offer, word<TAB>description.
"$MLSUB" completion fish >"$work/mlsub.fish"
last_command="fish -n mlsub.fish"
fish -n "$work/mlsub.fish" && ok || bad "the fish script does not parse"
fish_check() {  # fish_check EXPECTED LINE: the words fish offers
  local want=$1 got
  got=$(HOME=$work/fishhome fish --no-config -c "source $work/mlsub.fish; complete -C '$2'" 2>&1 | cut -f1 | sort | tr '\n' ' ')
  last_command="fish: complete -C '$2'"
  [ "$got" = "$want" ] && ok || bad "got '$got', expected '$want'"
}
fish_check "plan " "mlsub pl"
fish_check "--gpu-type --gpus --gpus-per-node " "mlsub plan --gpu"
fish_check "small-g standard-g " "mlsub plan --system lumi --partition s"
fish_check "A100 A100fat " "mlsub plan --system alvis --gpu-type A1"
fish_check "lumi " "mlsub plan --system lu"
fish_check "srun " "mlsub submit --launcher sr"
fish_check "bash fish zsh " "mlsub completion "
fish_check "gpu-syntax gpu-type gpus-limit " "mlsub check --ignore gp"
fish_check "" "mlsub plan --system lumi train.py -- --sys"
last_command="fish: descriptions"
HOME=$work/fishhome fish --no-config -c "source $work/mlsub.fish; complete -C 'mlsub plan --system alvis --gpu-type T'" >"$out" 2>"$err"
grep -q "^T4	NVIDIA T4" "$out" && ok || bad "fish shows no description for T4"

# zsh: the script's function run by zsh, with the completion builtins it
# calls (_describe, compadd, _files) recorded instead of shown.
"$MLSUB" completion zsh >"$work/_mlsub"
last_command="zsh -n _mlsub"
zsh -n "$work/_mlsub" && ok || bad "the zsh script does not parse"
zsh_check() {  # zsh_check EXPECTED WORD...: the words offered for the last WORD
  local want=$1 got
  shift
  got=$(zsh -f -c '
    compdef() { :; }
    _describe() { local -a offered; offered=("${(@P)${@[-1]}}"); for i in $offered; do print -r -- "${i%%:*}"; done; }
    compadd() { [[ $1 == -- ]] && shift; print -rl -- "$@"; }
    _files() { print -r -- "(files)"; }
    source "$1"; shift
    words=("$@"); CURRENT=$#words; PREFIX=${words[CURRENT]}
    _mlsub' zsh "$work/_mlsub" "$@" 2>&1 | awk -v p="${*: -1}" 'index($0, p) == 1' | sort | tr '\n' ' ')
  last_command="zsh: $*"
  [ "$got" = "$want" ] && ok || bad "got '$got', expected '$want'"
}
zsh_check "plan " mlsub pl
zsh_check "--gpu-type --gpus --gpus-per-node " mlsub plan --gpu
zsh_check "small-g standard-g " mlsub plan --system lumi --partition s
zsh_check "A100 A100fat " mlsub plan --system alvis --gpu-type A1
zsh_check "lumi " mlsub plan --system lu
zsh_check "torchrun " mlsub plan --launcher to
zsh_check "fish " mlsub completion f
zsh_check "gpu-syntax gpu-type gpus-limit " mlsub check --ignore gp
zsh_check "" mlsub plan --system lumi train.py -- --sys
finish
