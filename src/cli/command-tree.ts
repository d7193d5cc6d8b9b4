import type { Argument, Command, Option } from 'commander';
import { DEFAULT_SALT_BYTES, SALT_BYTES_2_1 } from '../auth/hash.js';

/**
 * What a value is, for completion and man pages: one of a fixed set, a path, a network interface,
 * or free text (completed with nothing).
 */
export type ValueHint =
  | { kind: 'choices'; values: readonly string[] }
  | { kind: 'file' }
  | { kind: 'directory' }
  | { kind: 'interface' }
  | { kind: 'command'; values: readonly string[] }
  | { kind: 'text' };

export interface TreeOption {
  /** e.g. ['-q', '--qos'] */
  names: string[];
  short?: string;
  long?: string;
  /** as declared, e.g. '-q, --qos <qos>' */
  flags: string;
  description: string;
  /** the value's placeholder ('qos'), when the option takes one */
  valueName?: string;
  /** the value may be left out (`-P [password]`) */
  optionalValue: boolean;
  value: ValueHint;
  /** --help heading, without its colon ('Connection'); undefined for commander's default */
  group?: string;
}

export interface TreeArgument {
  name: string;
  required: boolean;
  variadic: boolean;
  description: string;
  value: ValueHint;
}

export interface TreeCommand {
  /** ['mqtt', 'bench', 'pub'] */
  path: string[];
  name: string;
  description: string;
  usage: string;
  options: TreeOption[];
  arguments: TreeArgument[];
  commands: TreeCommand[];
}

const QOS = ['0', '1', '2'];
const PROTOCOL_VERSIONS = ['31', '311', '5', 'mqttv31', 'mqttv311', 'mqttv5'];

/**
 * Values of options whose value is one of a fixed set that commander does not check itself (the
 * commands check them, in mosquitto's words), by option name; commander's own choices come first.
 */
const OPTION_VALUES: Record<string, readonly string[]> = {
  '--qos': QOS,
  '--will-qos': QOS,
  '--sub-qos': QOS,
  '--protocol-version': PROTOCOL_VERSIONS,
  // sniff
  '--mqtt-version': ['3.1', '3.1.1', '5'],
  '--tls-version': ['tlsv1.3', 'tlsv1.2', 'tlsv1.1'],
  '--keyform': ['pem'],
  '--compat': ['2.0', '2.1'],
  '--salt-bytes': [String(DEFAULT_SALT_BYTES), String(SALT_BYTES_2_1)],
  // passwd
  '-H': ['sha512-pbkdf2', 'argon2id', 'sha512', 'scram-sha-256', 'scram-sha-512'],
};

/** Paths and interfaces: by placeholder (<file>, <dir>), or by option where the placeholder is vaguer. */
const PLACEHOLDER_KINDS: Record<string, ValueHint> = {
  file: { kind: 'file' },
  dir: { kind: 'directory' },
};
const OPTION_KINDS: Record<string, ValueHint> = {
  '--unix': { kind: 'file' },
  '--interface': { kind: 'interface' },
};
/** Positional arguments that are files though their name does not say so, by command and name. */
const ARGUMENT_KINDS: Record<string, ValueHint> = {
  // passwordfile username [password]
  'passwd args': { kind: 'file' },
};

function valueName(flags: string): string | undefined {
  return /[<[]([^>\]]+?)(?:\.\.\.)?[>\]]/.exec(flags)?.[1];
}

function optionValue(option: Option, name: string | undefined): ValueHint {
  if (name === undefined) return { kind: 'text' };
  if (option.argChoices) return { kind: 'choices', values: option.argChoices };
  const key = option.long ?? option.short ?? '';
  const values = OPTION_VALUES[key];
  if (values) return { kind: 'choices', values };
  return OPTION_KINDS[key] ?? PLACEHOLDER_KINDS[name] ?? { kind: 'text' };
}

function argumentValue(cmd: Command, arg: Argument, siblings: readonly string[] | undefined): ValueHint {
  if (arg.argChoices) return { kind: 'choices', values: arg.argChoices };
  // commander's implicit `help [command]`
  if (siblings) return { kind: 'command', values: siblings };
  return ARGUMENT_KINDS[`${cmd.name()} ${arg.name()}`] ?? (/file/.test(arg.name()) ? { kind: 'file' } : { kind: 'text' });
}

function treeOption(option: Option): TreeOption {
  const name = valueName(option.flags);
  const names = [option.short, option.long].filter((n): n is string => n !== undefined);
  return {
    names,
    ...(option.short !== undefined && { short: option.short }),
    ...(option.long !== undefined && { long: option.long }),
    flags: option.flags,
    description: option.description,
    ...(name !== undefined && { valueName: name }),
    optionalValue: option.optional,
    value: optionValue(option, name),
    ...(option.helpGroupHeading !== undefined && { group: option.helpGroupHeading.replace(/:$/, '') }),
  };
}

/**
 * The command tree as plain data, read through commander's Help (visible commands and options,
 * the implicit help command and help options included), so completions and man pages say what
 * --help says.
 */
export function commandTree(program: Command): TreeCommand {
  const help = program.createHelp();
  const walk = (cmd: Command, parentPath: string[], siblings?: string[]): TreeCommand => {
    const path = [...parentPath, cmd.name()];
    const children = help.visibleCommands(cmd);
    const childNames = children.map((c) => c.name());
    return {
      path,
      name: cmd.name(),
      description: cmd.description(),
      usage: cmd.usage(),
      options: help.visibleOptions(cmd).map(treeOption),
      arguments: cmd.registeredArguments.map((a) => ({
        name: a.name(),
        required: a.required,
        variadic: a.variadic,
        description: a.description,
        value: argumentValue(cmd, a, siblings),
      })),
      commands: children.map((c) => walk(c, path, cmd.commands.includes(c) ? undefined : childNames.filter((n) => n !== c.name()))),
    };
  };
  return walk(program, []);
}

/** A one-line description for a completion menu or a man page's NAME: no parentheses, the first sentence or clause. */
export function summary(description: string, maxLength = 72): string {
  const text = description
    .replace(/ \([^()]*\)/g, '')
    .split(/; |\. (?=[A-Z])|\n/)[0]!
    .replace(/\.$/, '')
    .trim();
  if (text.length <= maxLength) return text;
  return `${text.slice(0, text.lastIndexOf(' ', maxLength - 3))}...`;
}

/** Every command of the tree, depth first, the root first. */
export function allCommands(tree: TreeCommand): TreeCommand[] {
  return [tree, ...tree.commands.flatMap(allCommands)];
}
