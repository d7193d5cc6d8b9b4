import { expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { MQTT_BIN, spawnCmd, type Running } from '../helpers/cli.js';
import { describeIfTool } from '../helpers/peers.js';
import { useScratch, verifiesWith } from '../helpers/passwd-files.js';

const scratch = useScratch();

/** Runs `mqtt passwd` on a pseudo-terminal (util-linux script), so stdin is a TTY as for a person typing. */
function onTerminal(args: string[]): Running {
  const quoted = [process.execPath, MQTT_BIN, 'passwd', ...args].map((a) => `'${a}'`).join(' ');
  return spawnCmd('script', ['-qec', quoted, '/dev/null']);
}

/** Types only once the prompt is shown: echo is off from then on, not for keys typed before. */
async function answer(run: Running, prompt: RegExp, keys: string): Promise<void> {
  await run.waitForStdout(prompt);
  run.proc.stdin!.write(keys);
}

describeIfTool(['script'], 'mqtt passwd on a terminal', () => {
  it('prompts twice with echo off: nothing typed appears, backspace edits', async () => {
    const run = onTerminal(['-c', scratch.pwfile, 'alice']);
    await answer(run, /Password: /, 'sekritX\x7f\r');
    await answer(run, /Reenter password: /, 'sekrit\r');
    const r = await run.done;
    expect(r.code).toBe(0);
    expect(r.stdout.toString()).not.toMatch(/sekrit/);
    expect(await verifiesWith(scratch.pwfile, 'alice', 'sekrit')).toBe(true);
  });

  it('Ctrl-C at the prompt ends with 130 and writes nothing', async () => {
    const run = onTerminal(['-c', scratch.pwfile, 'alice']);
    await answer(run, /Password: /, 'abc\x03');
    const r = await run.done;
    expect(r.code).toBe(130);
    expect(existsSync(scratch.pwfile)).toBe(false);
  });

  it('a mismatch on the terminal is exit 2 with mosquitto_passwd\'s message', async () => {
    const run = onTerminal(['-c', scratch.pwfile, 'alice']);
    await answer(run, /Password: /, 'one\r');
    await answer(run, /Reenter password: /, 'two\r');
    const r = await run.done;
    expect(r.code).toBe(2);
    expect(r.stdout.toString()).toContain('Error: Passwords do not match.');
    expect(existsSync(scratch.pwfile)).toBe(false);
  });
});
