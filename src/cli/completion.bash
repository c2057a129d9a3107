# Bash completion for mlsub: commands, flags, and system names read from the
# catalogue when completing (mlsub systems --names).
_mlsub() {
  local cur prev cmd i
  cur=${COMP_WORDS[COMP_CWORD]}
  prev=${COMP_WORDS[COMP_CWORD - 1]}
  cmd=""
  for ((i = 1; i < COMP_CWORD; i++)); do
    [ "${COMP_WORDS[i]}" = -- ] && return 0  # the program's own arguments follow
  done
  for ((i = 1; i < COMP_CWORD; i++)); do
    case ${COMP_WORDS[i]} in
      --catalogue | --config) ((i++)) ;;  # and its value
      -*) ;;
      *) cmd=${COMP_WORDS[i]}; break ;;
    esac
  done
  case $prev in
    --system | -s)
      mapfile -t COMPREPLY < <(compgen -W "$(mlsub systems --names 2>/dev/null)" -- "$cur")
      return 0 ;;
    show)
      if [ "$cmd" = show ]; then
        mapfile -t COMPREPLY < <(compgen -W "$(mlsub systems --names 2>/dev/null)" -- "$cur")
        return 0
      fi ;;
    --launcher)
      mapfile -t COMPREPLY < <(compgen -W "python srun torchrun accelerate" -- "$cur")
      return 0 ;;
    --format)
      mapfile -t COMPREPLY < <(compgen -W "text github" -- "$cur")
      return 0 ;;
    --ignore | --explain)
      mapfile -t COMPREPLY < <(compgen -W "retired gpu-syntax gpu-type no-gpus cpus-per-gpu
        memory local-disk time-limit nodes-limit gpus-limit cpus-limit jobs-limit whole-node
        partition account single-process no-srun launcher-per-gpu local-rank threads
        ignored-directive unknown-option bad-value" -- "$cur")
      return 0 ;;
    --template | --venv | --container | --check | --catalogue | --config | --dir | -o | --output | --svg | --html)
      mapfile -t COMPREPLY < <(compgen -f -- "$cur")
      return 0 ;;
  esac
  local job="--system --gpus --nodes --gpus-per-node --time --partition --gpu-type --account
    --job-name --output --launcher --template --module --venv --container --uenv --edf --plain-edf --bind
    --env --local-disk --array --sweep --requeue-on-timeout --no-monitor --monitor-interval
    --constraint --qos --reservation --dependency --mail-type --mail-user --exclusive --sbatch --help"
  local words
  case $cmd in
    "") words="plan check submit status cancel logs report doctor systems show config completion --help --version --verbose --catalogue --config" ;;
    plan) words="$job --explain --json --validate --check" ;;
    submit) words="$job --dir --dry-run --test-only --wait --timeout" ;;
    check) words="--system --format --json --strict --ignore --explain --help" ;;
    status) words="--json --help" ;;
    logs) words="--follow --help" ;;
    report) words="--json --all --svg --html --ascii --help" ;;
    doctor) words="--json --help" ;;
    systems) words="--json --names --help" ;;
    config) words="--system --json --help" ;;
    completion) words="bash" ;;
    *) words="--help" ;;
  esac
  if [[ $cmd == doctor && $cur != -* ]]; then
    mapfile -t COMPREPLY < <(compgen -d -- "$cur")
    return 0
  fi
  if [[ $cur == -* || -z $cmd || $cmd == completion ]]; then
    mapfile -t COMPREPLY < <(compgen -W "$words" -- "$cur")
  else
    mapfile -t COMPREPLY < <(compgen -f -- "$cur")
  fi
}
complete -F _mlsub mlsub
