// The shipped completion scripts in the shells themselves: syntax, and the candidates offered.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { COMPLETION_FILES, SHELLS } from '../../src/cli/completion.js';
import { ROOT, runCmd, runMqtt } from '../helpers/cli.js';
import { describeIfTool } from '../helpers/peers.js';

const script = (shell: (typeof SHELLS)[number]) => path.join(ROOT, 'completions', COMPLETION_FILES[shell]);

describe('mqtt completion', () => {
  it.each(SHELLS)('mqtt completion %s prints the shipped script', async (shell) => {
    const r = await runMqtt(['completion', shell]);
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect(r.stdout.toString()).toBe(readFileSync(script(shell), 'utf8'));
  });

  it('refuses a shell it has no script for', async () => {
    const r = await runMqtt(['completion', 'tcsh']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("Allowed choices are bash, zsh, fish");
  });
});

describeIfTool(['bash'], 'bash completion', () => {
  /** Candidates for the words before the cursor; the last word is the one being completed. */
  async function complete(...words: string[]): Promise<string[]> {
    const driver = [
      `source ${JSON.stringify(script('bash'))}`,
      'COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMPREPLY=()',
      '_mqtt',
      'printf "%s\\n" "${COMPREPLY[@]}"',
    ].join('\n');
    const r = await runCmd('bash', ['--norc', '--noprofile', '-c', driver, 'bash', ...words], { cwd: ROOT });
    expect(r.stderr).toBe('');
    return r.stdout.toString().split('\n').filter(Boolean);
  }

  it('passes bash -n', async () => {
    const r = await runCmd('bash', ['-n', script('bash')]);
    expect([r.code, r.stderr]).toEqual([0, '']);
  });

  it('mqtt pu<TAB>: the command', async () => {
    expect(await complete('mqtt', 'pu')).toEqual(['pub']);
  });

  it('mqtt pub --qo<TAB>: the option', async () => {
    expect(await complete('mqtt', 'pub', '--qo')).toEqual(['--qos']);
  });

  it('mqtt pub -q <TAB>: the QoS levels', async () => {
    expect(await complete('mqtt', 'pub', '-q', '')).toEqual(['0', '1', '2']);
    expect(await complete('mqtt', 'pub', '--qos', '=', '')).toEqual(['0', '1', '2']);
  });

  it('protocol versions, nested bench commands, shells', async () => {
    expect(await complete('mqtt', 'sub', '-t', 'a', '-V', 'mqttv')).toEqual(['mqttv31', 'mqttv311', 'mqttv5']);
    expect(await complete('mqtt', 'bench', 'pubs')).toEqual(['pubsub']);
    expect(await complete('mqtt', 'bench', 'pub', '--q')).toEqual(['--qos', '--quiet']);
    expect(await complete('mqtt', 'completion', '')).toEqual(['bash', 'zsh', 'fish']);
  });

  it('an option value is not taken for an option: mqtt pub -m -q <TAB> offers nothing', async () => {
    expect(await complete('mqtt', 'pub', '-m', '-q', '')).toEqual([]);
  });

  it('file options complete paths', async () => {
    expect(await complete('mqtt', 'pub', '--cafile', 'package.js')).toEqual(['package.json']);
    expect(await complete('mqtt', 'sniff', '-r', 'test/fixtures/sniff/v311-')).toEqual(['test/fixtures/sniff/v311-session.pcap']);
    expect(await complete('mqtt', 'broker', '-c', 'tsconfig.j')).toEqual(['tsconfig.json']);
  });
});

describeIfTool(['zsh'], 'zsh completion', () => {
  it('passes zsh -n', async () => {
    const r = await runCmd('zsh', ['-n', script('zsh')]);
    expect([r.code, r.stderr]).toEqual([0, '']);
  });

  it('sourced after compinit, it registers _mqtt for mqtt with a function per command', async () => {
    const r = await runCmd('zsh', [
      '-f',
      '-c',
      `autoload -Uz compinit && compinit -u -D && source ${JSON.stringify(script('zsh'))} && print -r -- $_comps[mqtt] && whence -w _mqtt__bench__pubsub`,
    ]);
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect(r.stdout.toString()).toBe('_mqtt\n_mqtt__bench__pubsub: function\n');
  });
});

describeIfTool(['fish'], 'fish completion', () => {
  async function complete(line: string): Promise<string[]> {
    const r = await runCmd('fish', ['--no-config', '-c', `source ${JSON.stringify(script('fish'))}; complete -C${JSON.stringify(line)}`], { cwd: ROOT });
    expect(r.stderr).toBe('');
    return r.stdout.toString().split('\n').filter(Boolean).map((l) => l.split('\t')[0]!);
  }

  it('passes fish -n', async () => {
    const r = await runCmd('fish', ['--no-config', '-n', script('fish')]);
    expect([r.code, r.stderr]).toEqual([0, '']);
  });

  it('commands, options, QoS levels and nested bench options', async () => {
    expect(await complete('mqtt pu')).toEqual(['pub']);
    expect(await complete('mqtt pub --qo')).toEqual(['--qos']);
    expect(await complete('mqtt pub -q ')).toEqual(['0', '1', '2']);
    expect(await complete('mqtt bench pubsub --sub-q')).toEqual(['--sub-qos']);
    expect(await complete('mqtt sniff -r test/fixtures/sniff/v311-')).toEqual(['test/fixtures/sniff/v311-session.pcap']);
  });
});
