#compdef mlsub
# zsh completion for mlsub: commands, flags, launchers, systems, and the
# chosen system's partitions and GPU types, each with its description, all
# asked of mlsub itself when completing (mlsub completion --list ...).

_mlsub_list() {  # _mlsub_list WHAT [ARGS...]: "word<TAB>description" lines
  local -a extra
  local i
  for ((i = 2; i < CURRENT; i++)); do
    [[ ${words[i]} == --catalogue ]] && extra+=(--catalogue "${words[i + 1]}")
  done
  mlsub "${extra[@]}" completion --list "$@" 2>/dev/null
}

_mlsub_offer() {  # _mlsub_offer TAG WHAT [ARGS...]: offer the words, described
  local tag=$1 line
  shift
  local -a items
  for line in "${(@f)$(_mlsub_list "$@")}"; do
    [[ -n $line ]] && items+=("${${line%%$'\t'*}//:/\\:}:${line#*$'\t'}")
  done
  _describe -t "$tag" "$tag" items
}

_mlsub() {
  local cmd="" system="" prev i
  for ((i = 2; i < CURRENT; i++)); do
    [[ ${words[i]} == -- ]] && return 1  # the program's own arguments follow
  done
  for ((i = 2; i < CURRENT; i++)); do
    case ${words[i]} in
      --catalogue | --config) ((i++)) ;;  # global flags with a value
      -*) ;;
      *) cmd=${words[i]}; break ;;
    esac
  done
  for ((i = 2; i < CURRENT; i++)); do
    case ${words[i]} in
      --system | -s) system=${words[i + 1]} ;;
      --system=*) system=${words[i]#--system=} ;;
    esac
  done
  prev=${words[CURRENT - 1]}
  case $prev in
    --system | -s) _mlsub_offer systems systems; return ;;
    --partition | -p) _mlsub_offer partitions partitions --system "$system"; return ;;
    --gpu-type) _mlsub_offer gpu-types gpu-types --system "$system"; return ;;
    --launcher) _mlsub_offer launchers launchers; return ;;
    --ignore | --explain) [[ $cmd == check ]] && { _mlsub_offer findings findings; return; } ;;
    --format) compadd -- text github; return ;;
    --template | --venv | --container | --check | --catalogue | --config | --dir | -o | --output | --svg | --html)
      _files; return ;;
  esac
  if [[ -z $cmd ]]; then
    if [[ $PREFIX == -* ]]; then _mlsub_offer flags flags; else _mlsub_offer commands commands; fi
    return
  fi
  if [[ $PREFIX == -* ]]; then
    _mlsub_offer flags flags --command "$cmd"
    return
  fi
  case $cmd in
    show) _mlsub_offer systems systems ;;
    completion) compadd -- bash zsh fish ;;
    doctor) _files -/ ;;
    *) _files ;;
  esac
}

if [[ ${funcstack[1]} == _mlsub ]]; then
  _mlsub "$@"
else
  compdef _mlsub mlsub
fi
