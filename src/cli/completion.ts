import type { Command } from 'commander';
import { allCommands, commandTree, summary, type TreeCommand, type TreeOption, type ValueHint } from './command-tree.js';

export const SHELLS = ['bash', 'zsh', 'fish'] as const;
export type Shell = (typeof SHELLS)[number];

/** Where each script is shipped (completions/) and what its shell expects it to be called. */
export const COMPLETION_FILES: Record<Shell, string> = { bash: 'mqtt.bash', zsh: '_mqtt', fish: 'mqtt.fish' };

const HEADER = "Generated from mqtt's command tree by `npm run gen` (src/cli/completion.ts): do not edit.";

/** The completion script for a shell, generated from the program's own command tree. */
export function completionScript(program: Command, shell: Shell): string {
  const tree = commandTree(program);
  return { bash: bashScript, zsh: zshScript, fish: fishScript }[shell](tree);
}

const takesValue = (o: TreeOption) => o.valueName !== undefined && !o.optionalValue;
const pathKey = (cmd: TreeCommand) => cmd.path.join(' ');

/** Options (by path and name) or positionals (name '') grouped by the completion action their value needs. */
function valueActions(tree: TreeCommand, action: (hint: ValueHint) => string | undefined): Map<string, string[]> {
  const groups = new Map<string, string[]>();
  const add = (hint: ValueHint, key: string) => {
    const act = action(hint);
    if (act === undefined) return;
    groups.set(act, [...(groups.get(act) ?? []), key]);
  };
  for (const cmd of allCommands(tree)) {
    for (const o of cmd.options) if (takesValue(o)) for (const name of o.names) add(o.value, `${pathKey(cmd)} ${name}`);
    // one action for all positionals: the first one's (passwd's are all files, completion has one)
    if (cmd.arguments[0]) add(cmd.arguments[0].value, `${pathKey(cmd)} `);
  }
  return groups;
}

// ---------------------------------------------------------------- bash

const sq = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

function bashScript(tree: TreeCommand): string {
  const commands = allCommands(tree)
    .map((cmd) => {
      const subcommands = cmd.commands.map((c) => c.name).join(' ');
      const options = cmd.options.flatMap((o) => o.names).join(' ');
      const valued = cmd.options.filter(takesValue).flatMap((o) => o.names).join(' ');
      return `        ${sq(pathKey(cmd))}) subcommands=${sq(subcommands)} options=${sq(options)} valued=${sq(valued)} ;;`;
    })
    .join('\n');
  const values = [
    ...valueActions(tree, (hint) => {
      switch (hint.kind) {
        case 'choices':
        case 'command':
          return `_mqtt_words ${sq(hint.values.join(' '))}`;
        case 'file':
          return '_mqtt_files -f';
        case 'directory':
          return '_mqtt_files -d';
        case 'interface':
          return '_mqtt_interfaces';
        case 'text':
          return undefined;
      }
    }),
  ]
    .map(([act, keys]) => `        ${keys.map(sq).join(' | ')})\n            ${act} ;;`)
    .join('\n');
  return `# bash completion for mqtt                                 -*- shell-script -*-
# ${HEADER}
# Install: copy to ~/.local/share/bash-completion/completions/mqtt (or
# /usr/share/bash-completion/completions/mqtt), or add to ~/.bashrc: source <(mqtt completion bash)

# _mqtt_command PATH: sets the subcommands, options and options taking a value of PATH
_mqtt_command() {
    case $1 in
${commands}
        *) subcommands='' options='' valued='' ;;
    esac
}

_mqtt_words() {
    COMPREPLY=($(compgen -W "$1" -- "$cur"))
}

_mqtt_files() {
    compopt -o filenames 2>/dev/null
    local IFS=$'\\n'
    COMPREPLY=($(compgen "$1" -- "$cur"))
}

_mqtt_interfaces() {
    COMPREPLY=($(compgen -W "any $(command ls /sys/class/net 2>/dev/null)" -- "$cur"))
}

# _mqtt_value PATH OPTION: completes the value of OPTION, or with OPTION empty a positional argument
_mqtt_value() {
    case "$1 $2" in
${values}
    esac
}

_mqtt() {
    local cur=\${COMP_WORDS[COMP_CWORD]} path=mqtt option= word i
    local subcommands options valued
    _mqtt_command "$path"
    for ((i = 1; i < COMP_CWORD; i++)); do
        word=\${COMP_WORDS[i]}
        if [[ $word == -* ]]; then
            [[ " $valued " == *" $word "* ]] || continue
            ((i++))
            # --option=value: bash splits at the '='
            [[ \${COMP_WORDS[i]} == = ]] && ((i++))
            ((i >= COMP_CWORD)) && option=$word
        elif [[ " $subcommands " == *" $word "* ]]; then
            path="$path $word"
            _mqtt_command "$path"
        fi
    done
    [[ $cur == = ]] && cur=
    if [[ -n $option ]]; then
        _mqtt_value "$path" "$option"
    elif [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "$options" -- "$cur"))
    elif [[ -n $subcommands ]]; then
        COMPREPLY=($(compgen -W "$subcommands" -- "$cur"))
    else
        _mqtt_value "$path" ''
    fi
}

complete -F _mqtt mqtt
`;
}

// ---------------------------------------------------------------- zsh

/** Text inside a zsh single-quoted _arguments spec: brackets and colons escaped. */
const zshText = (s: string) => summary(s).replace(/\\/g, '\\\\').replace(/([[\]:])/g, '\\$1').replace(/'/g, `'\\''`);
const zshFunction = (cmd: TreeCommand) => `_${cmd.path.join('__')}`;

function zshAction(hint: ValueHint): string {
  switch (hint.kind) {
    case 'choices':
    case 'command':
      return `(${hint.values.join(' ')})`;
    case 'file':
      return '_files';
    case 'directory':
      return '_files -/';
    case 'interface':
      return '_net_interfaces';
    case 'text':
      return ' ';
  }
}

function zshOption(o: TreeOption): string {
  const names = o.names.map((n) => (takesValue(o) ? (n.startsWith('--') ? `${n}=` : `${n}+`) : n));
  const spec = names.length > 1 ? `'*'{${names.join(',')}}'` : `'*${names[0]}`;
  const value = o.valueName === undefined ? '' : `${o.optionalValue ? '::' : ':'}${o.valueName}:${zshAction(o.value)}`;
  return `${spec}[${zshText(o.description)}]${value}'`;
}

function zshCommand(cmd: TreeCommand): string {
  const specs = cmd.options.map(zshOption);
  const lines = [`${zshFunction(cmd)}() {`];
  if (cmd.commands.length > 0) {
    specs.push(`'1: :->command'`, `'*:: :->argument'`);
    lines.push(
      '    local curcontext=$curcontext state state_descr line',
      '    typeset -A opt_args',
      `    _arguments -C -S \\\n        ${specs.join(' \\\n        ')}`,
      '    case $state in',
      '        command)',
      '            local -a commands=(',
      ...cmd.commands.map((c) => `                '${c.name}:${summary(c.description).replace(/'/g, `'\\''`)}'`),
      '            )',
      `            _describe -t commands '${cmd.path.join(' ')} command' commands ;;`,
      '        argument)',
      `            curcontext=\${curcontext%:*:*}:${cmd.path.join('-')}-$words[1]:`,
      '            case $words[1] in',
      ...cmd.commands.map((c) => `                ${c.name}) ${zshFunction(c)} ;;`),
      '            esac ;;',
      '    esac',
    );
  } else {
    cmd.arguments.forEach((a, i) => {
      const position = a.variadic ? '*' : String(i + 1);
      specs.push(`'${position}:${a.name}:${zshAction(a.value)}'`);
    });
    lines.push(`    _arguments -S${specs.map((spec) => ` \\\n        ${spec}`).join('')}`);
  }
  lines.push('}');
  return lines.join('\n');
}

function zshScript(tree: TreeCommand): string {
  return `#compdef mqtt
# zsh completion for mqtt
# ${HEADER}
# Install: copy to a directory of $fpath as _mqtt (e.g. ~/.zfunc, with fpath=(~/.zfunc $fpath)
# before compinit in ~/.zshrc), or add to ~/.zshrc after compinit: source <(mqtt completion zsh)

${allCommands(tree).map(zshCommand).join('\n\n')}

if [[ $funcstack[1] == _mqtt ]]; then
    _mqtt "$@"
else
    compdef _mqtt mqtt
fi
`;
}

// ---------------------------------------------------------------- fish

const fishQuote = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

function fishValue(hint: ValueHint): string {
  switch (hint.kind) {
    case 'choices':
    case 'command':
      return ` -x -a ${fishQuote(hint.values.join(' '))}`;
    case 'file':
      return ' -r -F';
    case 'directory':
      return " -x -a '(__fish_complete_directories (commandline -ct))'";
    case 'interface':
      return " -x -a 'any (__fish_print_interfaces)'";
    case 'text':
      return ' -x';
  }
}

function fishCommand(cmd: TreeCommand): string[] {
  const at = `complete -c mqtt -n ${fishQuote(`__mqtt_is '${pathKey(cmd)}'`)}`;
  const lines = cmd.commands.map((c) => `${at} -f -a ${c.name} -d ${fishQuote(summary(c.description))}`);
  for (const o of cmd.options) {
    const names = `${o.short ? ` -s ${o.short.slice(1)}` : ''}${o.long ? ` -l ${o.long.slice(2)}` : ''}`;
    lines.push(`${at}${names}${takesValue(o) ? fishValue(o.value) : ''} -d ${fishQuote(summary(o.description))}`);
  }
  const arg = cmd.arguments[0];
  if (arg) lines.push(`${at}${arg.value.kind === 'file' ? ' -F' : fishValue(arg.value).replace(' -x', ' -f')}`);
  return lines;
}

function fishScript(tree: TreeCommand): string {
  const commands = allCommands(tree);
  const subcommandCases = commands.flatMap((cmd) => cmd.commands.map((c) => `'${pathKey(c)}'`));
  const valuedCases = commands.flatMap((cmd) => cmd.options.filter(takesValue).flatMap((o) => o.names.map((n) => `'${pathKey(cmd)} ${n}'`)));
  return `# fish completion for mqtt
# ${HEADER}
# Install: copy to ~/.config/fish/completions/mqtt.fish, or run: mqtt completion fish | source

# The command path of the words before the cursor ('mqtt bench pub'), option values skipped.
function __mqtt_path
    set -l words (commandline -opc)
    set -e words[1]
    set -l path mqtt
    set -l skip 0
    for word in $words
        if test $skip -eq 1
            set skip 0
            continue
        end
        switch "$path $word"
            case ${subcommandCases.join(' ')}
                set path "$path $word"
            case ${valuedCases.join(' ')}
                set skip 1
        end
    end
    echo $path
end

function __mqtt_is
    test (__mqtt_path) = "$argv[1]"
end

complete -c mqtt -f
${commands.flatMap(fishCommand).join('\n')}
`;
}
