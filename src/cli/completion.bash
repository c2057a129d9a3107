# Bash completion for mlsub: commands, flags, launchers, systems, and the
# chosen system's partitions and GPU types, all asked of mlsub itself when
# completing (mlsub completion --list ...), so they follow the binary and
# the catalogue, your own systems included.
_mlsub_list() {  # _mlsub_list WHAT [ARGS...]: the words, without descriptions
  local extra=() i
  for ((i = 1; i < COMP_CWORD; i++)); do
    [ "${COMP_WORDS[i]}" = --catalogue ] && extra+=(--catalogue "${COMP_WORDS[i + 1]}")
  done
  mlsub "${extra[@]}" completion --list "$@" 2>/dev/null | cut -f1
}
_mlsub_system() {  # the value of --system (or -s) on the line so far
  local i
  for ((i = 1; i < COMP_CWORD; i++)); do
    case ${COMP_WORDS[i]} in
      --system | -s)
        if [ "${COMP_WORDS[i + 1]}" = "=" ]; then echo "${COMP_WORDS[i + 2]}"; else echo "${COMP_WORDS[i + 1]}"; fi
        return ;;
      --system=*) echo "${COMP_WORDS[i]#--system=}"; return ;;
    esac
  done
}
_mlsub() {
  local cur prev cmd i
  cur=${COMP_WORDS[COMP_CWORD]}
  prev=${COMP_WORDS[COMP_CWORD - 1]}
  [ "$prev" = "=" ] && prev=${COMP_WORDS[COMP_CWORD - 2]}
  cmd=""
  for ((i = 1; i < COMP_CWORD; i++)); do
    [ "${COMP_WORDS[i]}" = -- ] && return 0  # the program's own arguments follow
  done
  for ((i = 1; i < COMP_CWORD; i++)); do
    case ${COMP_WORDS[i]} in
      --catalogue | --config) ((i++)) ;;  # global flags with a value
      -*) ;;
      *) cmd=${COMP_WORDS[i]}; break ;;
    esac
  done
  case $prev in
    --system | -s)
      mapfile -t COMPREPLY < <(compgen -W "$(_mlsub_list systems)" -- "$cur")
      return 0 ;;
    --partition | -p)
      mapfile -t COMPREPLY < <(compgen -W "$(_mlsub_list partitions --system "$(_mlsub_system)")" -- "$cur")
      return 0 ;;
    --gpu-type)
      mapfile -t COMPREPLY < <(compgen -W "$(_mlsub_list gpu-types --system "$(_mlsub_system)")" -- "$cur")
      return 0 ;;
    show)
      if [ "$cmd" = show ]; then
        mapfile -t COMPREPLY < <(compgen -W "$(_mlsub_list systems)" -- "$cur")
        return 0
      fi ;;
    --launcher)
      mapfile -t COMPREPLY < <(compgen -W "$(_mlsub_list launchers)" -- "$cur")
      return 0 ;;
    --format)
      mapfile -t COMPREPLY < <(compgen -W "text github" -- "$cur")
      return 0 ;;
    --ignore | --explain)
      if [ "$cmd" = check ]; then  # plan's --explain is a flag
        mapfile -t COMPREPLY < <(compgen -W "$(_mlsub_list findings)" -- "$cur")
        return 0
      fi ;;
    --template | --venv | --container | --check | --catalogue | --config | --dir | -o | --output | --svg | --html)
      mapfile -t COMPREPLY < <(compgen -f -- "$cur")
      return 0 ;;
  esac
  if [[ $cmd == doctor && $cur != -* ]]; then
    mapfile -t COMPREPLY < <(compgen -d -- "$cur")
    return 0
  fi
  if [ -z "$cmd" ]; then
    mapfile -t COMPREPLY < <(compgen -W "$(_mlsub_list commands) $(_mlsub_list flags)" -- "$cur")
  elif [ "$cmd" = completion ]; then
    mapfile -t COMPREPLY < <(compgen -W "bash zsh fish" -- "$cur")
  elif [[ $cur == -* ]]; then
    mapfile -t COMPREPLY < <(compgen -W "$(_mlsub_list flags --command "$cmd")" -- "$cur")
  else
    mapfile -t COMPREPLY < <(compgen -f -- "$cur")
  fi
}
complete -F _mlsub mlsub
