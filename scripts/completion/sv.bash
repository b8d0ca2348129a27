# bash completion for sv (runit-rs): commands, then service names from
# $SVDIR (default /etc/service/), or paths when the word starts with . or /.
# Install: copy to /usr/share/bash-completion/completions/sv
_sv_services() {
  local dir=${SVDIR:-/etc/service/} d
  for d in "${dir%/}"/*/; do
    [ -d "$d" ] || continue
    d=${d%/}
    printf '%s\n' "${d##*/}"
  done
}

_sv() {
  local cur prev i command_at=0
  cur=${COMP_WORDS[COMP_CWORD]}
  prev=${COMP_WORDS[COMP_CWORD-1]}
  # Find the command word: the first word after the options.
  for ((i = 1; i < COMP_CWORD; i++)); do
    case ${COMP_WORDS[i]} in
      -w) ((i++)) ;;
      -*) ;;
      *) command_at=$i; break ;;
    esac
  done
  if [ "$prev" = -w ]; then
    COMPREPLY=()
    return
  fi
  if [ "$command_at" = 0 ]; then
    if [[ $cur == -* ]]; then
      COMPREPLY=($(compgen -W '-v -w' -- "$cur"))
    else
      COMPREPLY=($(compgen -W 'status up down once pause cont hup alarm interrupt
        quit 1 2 term kill exit start stop reload restart shutdown force-stop
        force-reload force-restart force-shutdown try-restart check json' -- "$cur"))
    fi
    return
  fi
  case $cur in
    .* | /*) COMPREPLY=($(compgen -d -- "$cur")) ;;
    *) COMPREPLY=($(compgen -W "$(_sv_services)" -- "$cur")) ;;
  esac
}
complete -F _sv sv
