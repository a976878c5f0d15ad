import { COMMANDS } from './commands-table.js';
import { UsageError } from './output.js';

/** Words completion offers: the commands, and per command its sub-commands (from the one table). */
function table(): { names: string; verbs: [string, string][] } {
  return {
    names: COMMANDS.map((c) => c.name).join(' '),
    verbs: COMMANDS.filter((c) => c.verbs?.length).map((c) => [c.name, (c.verbs ?? []).join(' ')]),
  };
}

export function bashCompletion(): string {
  const t = table();
  return `# gitfleet bash completion: source <(gitfleet completion bash)
_gitfleet() {
  local cur=\${COMP_WORDS[COMP_CWORD]} words=""
  if [ "$COMP_CWORD" -eq 1 ]; then
    words="${t.names}"
  elif [ "$COMP_CWORD" -eq 2 ]; then
    case "\${COMP_WORDS[1]}" in
${t.verbs.map(([c, v]) => `      ${c}) words="${v}" ;;`).join('\n')}
    esac
  fi
  if [ -n "$words" ]; then
    mapfile -t COMPREPLY < <(compgen -W "$words" -- "$cur")
  else
    mapfile -t COMPREPLY < <(compgen -f -- "$cur")
  fi
}
complete -F _gitfleet gitfleet
`;
}

export function zshCompletion(): string {
  const t = table();
  return `#compdef gitfleet
# gitfleet zsh completion: source <(gitfleet completion zsh)
_gitfleet() {
  if (( CURRENT == 2 )); then
    compadd -- ${t.names}
  elif (( CURRENT == 3 )); then
    case $words[2] in
${t.verbs.map(([c, v]) => `      ${c}) compadd -- ${v} ;;`).join('\n')}
      *) _files ;;
    esac
  else
    _files
  fi
}
compdef _gitfleet gitfleet
`;
}

export async function completionCommand(argv: string[]): Promise<number> {
  const shell = argv[0];
  if (shell === 'bash') process.stdout.write(bashCompletion());
  else if (shell === 'zsh') process.stdout.write(zshCompletion());
  else throw new UsageError('usage: gitfleet completion bash|zsh');
  return 0;
}
