import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { allCommands, commandTree, summary, type TreeCommand } from '../../src/cli/command-tree.js';
import { COMPLETION_FILES, SHELLS } from '../../src/cli/completion.js';
import { generatedFiles } from '../../src/cli/generated-files.js';
import { buildProgram } from '../../src/cli/program.js';
import { resolvePubArgs } from '../../src/commands/pub.js';
import { ROOT } from '../helpers/cli.js';
import { testContext } from './options-fixtures.js';

const tree = commandTree(await buildProgram());
const command = (p: string): TreeCommand => {
  const found = allCommands(tree).find((c) => c.path.join(' ') === p);
  if (!found) throw new Error(`no command ${p}`);
  return found;
};
const option = (p: string, name: string) => {
  const found = command(p).options.find((o) => o.names.includes(name));
  if (!found) throw new Error(`no option ${name} in ${p}`);
  return found;
};

const files = await generatedFiles(ROOT);

describe('completion scripts', () => {

  it.each(SHELLS)('completions/ holds what the generator prints now for %s (else: npm run gen)', (shell) => {
    const file = `completions/${COMPLETION_FILES[shell]}`;
    expect(readFileSync(path.join(ROOT, file), 'utf8')).toBe(files.get(file));
  });

  it('the tree has every command, nested ones and commander\'s help included', () => {
    expect(tree.commands.map((c) => c.name)).toEqual(['pub', 'sub', 'rr', 'test', 'passwd', 'broker', 'bench', 'sniff', 'ctrl', 'completion', 'help']);
    expect(command('mqtt bench').commands.map((c) => c.name)).toEqual(['conn', 'pub', 'sub', 'pubsub', 'schema', 'help']);
    expect(command('mqtt help').arguments[0]!.value).toEqual({ kind: 'command', values: ['pub', 'sub', 'rr', 'test', 'passwd', 'broker', 'bench', 'sniff', 'ctrl', 'completion'] });
  });

  it('fixed values: QoS, protocol versions, shells, hash types', () => {
    for (const [p, name] of [['mqtt pub', '-q'], ['mqtt sub', '--will-qos'], ['mqtt bench pubsub', '--sub-qos']] as const) {
      expect(option(p, name).value).toEqual({ kind: 'choices', values: ['0', '1', '2'] });
    }
    expect(option('mqtt pub', '-V').value).toEqual({ kind: 'choices', values: ['31', '311', '5', 'mqttv31', 'mqttv311', 'mqttv5'] });
    expect(option('mqtt passwd', '-H').value).toEqual({ kind: 'choices', values: ['sha512-pbkdf2', 'argon2id', 'sha512', 'scram-sha-256', 'scram-sha-512'] });
    expect(command('mqtt completion').arguments[0]!.value).toEqual({ kind: 'choices', values: ['bash', 'zsh', 'fish'] });
  });

  it('every protocol version offered is one pub accepts', async () => {
    for (const v of (option('mqtt pub', '-V').value as { values: readonly string[] }).values) {
      await expect(resolvePubArgs(['-t', 't', '-m', 'm', '-V', v], testContext())).resolves.toBeDefined();
    }
  });

  it('paths where a file goes, free text elsewhere', () => {
    for (const [p, name] of [['mqtt pub', '--cafile'], ['mqtt pub', '-f'], ['mqtt broker', '-c'], ['mqtt sniff', '-r'], ['mqtt sub', '--unix']] as const) {
      expect(option(p, name).value, `${p} ${name}`).toEqual({ kind: 'file' });
    }
    expect(option('mqtt pub', '--capath').value).toEqual({ kind: 'directory' });
    expect(option('mqtt sniff', '-i').value).toEqual({ kind: 'interface' });
    expect(option('mqtt pub', '-t').value).toEqual({ kind: 'text' });
    expect(option('mqtt pub', '--ws-path').value).toEqual({ kind: 'text' });
    expect(command('mqtt passwd').arguments[0]!.value).toEqual({ kind: 'file' });
  });

  it('menu descriptions: one clause, no parentheses, at most 72 characters', () => {
    expect(summary('broker host to connect to (default: localhost)')).toBe('broker host to connect to');
    expect(summary('the file; a second clause')).toBe('the file');
    expect(summary('Publish a message (from -m, a file) and exit. More text.')).toBe('Publish a message and exit');
    expect(summary('word '.repeat(30)).length).toBeLessThanOrEqual(72);
  });
});
