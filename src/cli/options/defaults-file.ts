import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { CommandKind } from './state.js';

/**
 * Where the defaults file is looked for: ours, `$XDG_CONFIG_HOME/mqtt/pub` (else
 * `$HOME/.config/mqtt/pub`; `sub` likewise), and when that is absent mosquitto's own
 * `mosquitto_pub` / `mosquitto_sub` next to it, so people switching over keep their settings.
 */
export function defaultsFileCandidates(kind: CommandKind, env: Readonly<Record<string, string | undefined>>): string[] {
  const base = env.XDG_CONFIG_HOME || (env.HOME ? path.join(env.HOME, '.config') : undefined);
  return base ? [path.join(base, 'mqtt', kind), path.join(base, `mosquitto_${kind}`)] : [];
}

/**
 * The option lines of the first defaults file that can be read, each as argv words: one option
 * per line, split at the first space so a value may contain spaces; lines starting with '#' are
 * comments (client_config_load).
 */
export function readDefaultsFile(kind: CommandKind, env: Readonly<Record<string, string | undefined>>): string[][] {
  for (const file of defaultsFileCandidates(kind, env)) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    return parseDefaultsText(text);
  }
  return [];
}

export function parseDefaultsText(text: string): string[][] {
  const lines: string[][] = [];
  for (const raw of text.split('\n')) {
    if (raw.startsWith('#')) continue;
    // like strtok(line, " "): leading spaces skipped, then the option, then everything after one space
    const line = raw.replace(/[\r\n]+$/, '').replace(/^ +/, '');
    if (line === '') continue;
    const space = line.indexOf(' ');
    if (space === -1) lines.push([line]);
    else if (space === line.length - 1) lines.push([line.slice(0, space)]);
    else lines.push([line.slice(0, space), line.slice(space + 1)]);
  }
  return lines;
}
