import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { IGNORED_OPTIONS, REFUSED_OPTIONS } from '../broker/config/unsupported-options.js';
import { commandTree, summary, type TreeCommand } from './command-tree.js';
import { COMPLETION_FILES, completionScript, SHELLS } from './completion.js';
import { commandPage, parseManSections, renderPage, type PageMeta } from './man-page.js';
import { buildProgram } from './program.js';

/** The date on every man page: move it when the pages change in substance. */
export const MAN_DATE = '2026-11-22';

/** Top-level commands documented in mqtt(1) itself rather than on a page of their own. */
const INLINE_COMMANDS = new Set(['completion', 'help']);

export const MAN_SECTIONS_DIR = 'scripts/man-sections';

/**
 * Every file `npm run gen` writes, by path from the repository root: the completion scripts
 * and the man pages. The drift tests compare the checked-in files with this.
 */
export async function generatedFiles(root: string, program?: Command): Promise<Map<string, string>> {
  program ??= await buildProgram();
  const files = new Map<string, string>();
  for (const shell of SHELLS) files.set(`completions/${COMPLETION_FILES[shell]}`, completionScript(program, shell));

  const version: string = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')).version;
  const hand = (page: string) => {
    const file = path.join(root, MAN_SECTIONS_DIR, `${page}.md`);
    return parseManSections(existsSync(file) ? readFileSync(file, 'utf8') : '');
  };
  const meta = (name: string, section: 1 | 5, what: string): PageMeta => ({ name, section, summary: what, version, date: MAN_DATE });

  const tree = commandTree(program);
  const pageOf = (cmd: TreeCommand) => (cmd.path.length === 2 && !INLINE_COMMANDS.has(cmd.name) ? cmd.path.join('-') : undefined);
  for (const cmd of [tree, ...tree.commands.filter((c) => pageOf(c) !== undefined)]) {
    const name = cmd.path.join('-');
    files.set(`man/${name}.1`, commandPage(cmd, meta(name, 1, summary(cmd.description, Infinity)), hand(`${name}.1`), pageOf));
  }

  // mosquitto.conf subset: hand-written, with the options refused or ignored listed from the parser's tables
  const conf = hand('mqtt-broker.conf.5');
  const list = (table: ReadonlyMap<string, string>) => [...table].map(([option, why]) => `\`${option}\`\n: ${why}.`).join('\n');
  for (const [heading, body] of conf) conf.set(heading, body.replace('{{refused}}', list(REFUSED_OPTIONS)).replace('{{ignored}}', list(IGNORED_OPTIONS)));
  files.set('man/mqtt-broker.conf.5', renderPage(meta('mqtt-broker.conf', 5, 'configuration file of mqtt broker (a mosquitto.conf subset)'), new Map(), conf));
  return files;
}
