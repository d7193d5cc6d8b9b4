import { closeSync, fstatSync, openSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { CliError, UsageError } from '../errors.js';
import { parseDefaultsText } from './defaults-file.js';
import { OptionCommand, parseWords, type OptionGroup, type OptionSpec } from './option-command.js';

/** -o files may name other -o files and profiles; a loop stops here. */
const MAX_DEPTH = 8;
let depth = 0;

/** Where `--profile NAME` lives: $XDG_CONFIG_HOME/mqtt/profiles/NAME (else ~/.config/…). */
export function profilePath(name: string, env: Readonly<Record<string, string | undefined>> = process.env): string {
  if (name === '' || name === '.' || name === '..' || name.includes('/') || name.includes('\0')) {
    throw new UsageError(`Invalid profile name '${name}'.`);
  }
  const base = env.XDG_CONFIG_HOME || (env.HOME ? path.join(env.HOME, '.config') : undefined);
  if (!base) throw new UsageError('Cannot find profiles: neither XDG_CONFIG_HOME nor HOME is set.');
  return path.join(base, 'mqtt', 'profiles', name);
}

/** Whether these option lines carry a password: -P/--pw with a value, or a -L URL with user:password@. */
function holdsPassword(lines: readonly string[][]): boolean {
  return lines.some(([opt, value]) => {
    if ((opt === '-P' || opt === '--pw') && value !== undefined) return true;
    if ((opt === '-L' || opt === '--url') && value !== undefined) {
      const authority = value.replace(/^[a-z]+:\/\//i, '').split('/')[0]!;
      const at = authority.indexOf('@');
      return at !== -1 && authority.slice(0, at).includes(':');
    }
    return false;
  });
}

/**
 * Reads an options file (the defaults file's syntax: one option per line, split at the first
 * space, '#' comments). A profile holding a password must be private to its owner (mode 0600 or
 * stricter), else it is refused: failing closed, as ssh does with a readable key.
 */
function readOptionLines(file: string, what: 'options file' | 'profile', checkPrivate: boolean): string[][] {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (err) {
    throw new CliError(`Error: Unable to open ${what} "${file}": ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}.`, 1);
  }
  try {
    const stat = fstatSync(fd);
    if (stat.isDirectory()) throw new CliError(`Error: Unable to open ${what} "${file}": it is a directory.`, 1);
    const lines = parseDefaultsText(readFileSync(fd, 'utf8'));
    if (checkPrivate && holdsPassword(lines) && (stat.mode & 0o077) !== 0) {
      const mode = (stat.mode & 0o777).toString(8).padStart(4, '0');
      throw new CliError(`Error: The ${what} "${file}" holds a password but others may read it (mode ${mode}); run: chmod 600 '${file}'`, 1);
    }
    return lines;
  } finally {
    closeSync(fd);
  }
}

/**
 * `-o FILE` (Mosquitto 2.1) and `--profile NAME` [extra]: the file's options are applied where
 * the option stands, with the same rules as the command line, so later options override them.
 * `groups` returns the command's whole option set (this group included, for nesting).
 */
export function optionsFileGroup(groups: () => OptionGroup[]): OptionGroup {
  const apply = (file: string, what: 'options file' | 'profile', checkPrivate: boolean): OptionSpec['apply'] => (state) => {
    if (depth >= MAX_DEPTH) throw new UsageError(`Options files nested more than ${MAX_DEPTH} deep (does "${file}" include itself?).`);
    const lines = readOptionLines(file, what, checkPrivate);
    depth++;
    try {
      const build = () => new OptionCommand(state.kind).addGroups(groups());
      for (const words of lines) {
        for (const { spec, value } of parseWords(build, words)) spec.apply(state, value);
      }
    } finally {
      depth--;
    }
  };
  return {
    heading: 'Options files:',
    specs: [
      {
        flags: '-o <file>',
        description: 'read options from this file, one per line as in the defaults file, applied where -o stands (as mosquitto 2.1)',
        missing: '-o argument given but no options file specified.',
        apply: (s, v) => apply(v!, 'options file', false)(s, v),
      },
      {
        flags: '--profile <name>',
        description:
          '[extra] options from $XDG_CONFIG_HOME/mqtt/profiles/<name> (host, port, TLS, credentials…), same syntax; a password there is used only when the file is private (mode 0600); also `mqtt --profile <name> pub …`',
        missing: '--profile argument given but no profile name specified.',
        apply: (s, v) => apply(profilePath(v!), 'profile', true)(s, v),
      },
    ],
  };
}

/** The group's --profile spec, for the top-level `mqtt --profile NAME <command>`. */
export function profileSpec(groups: readonly OptionGroup[]): OptionSpec | undefined {
  return groups.flatMap((g) => g.specs).find((s) => s.flags.startsWith('--profile '));
}
