/**
 * A bare -P on a terminal asks for the password with the same echo-off reader as `mqtt passwd`
 * (src/auth/password-prompt.ts): what is typed goes into CONNECT and never to the screen.
 */
import net from 'node:net';
import { afterEach, expect, it } from 'vitest';
import { MQTT_BIN, spawnCmd, type Running } from '../helpers/cli.js';
import { describeIfTool } from '../helpers/peers.js';
import { RawClient } from '../helpers/broker.js';

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

/** Runs `mqtt pub` on a pseudo-terminal (util-linux script), so stdin is a TTY. */
function onTerminal(args: string[]): Running {
  const quoted = [process.execPath, MQTT_BIN, 'pub', ...args].map((a) => `'${a}'`).join(' ');
  return spawnCmd('script', ['-qec', quoted, '/dev/null']);
}

async function listen(): Promise<{ port: number; accepted: Promise<RawClient> }> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanups.push(() => server.close());
  const accepted = new Promise<RawClient>((resolve) =>
    server.once('connection', (s) => {
      cleanups.push(() => s.destroy());
      resolve(RawClient.accept(s, 4));
    }),
  );
  return { port: (server.address() as net.AddressInfo).port, accepted };
}

describeIfTool(['script'], 'mqtt pub -P with no value, on a terminal', () => {
  it('asks with echo off; backspace and Ctrl-U edit; the typed password goes into CONNECT', async () => {
    const { port, accepted } = await listen();
    const run = onTerminal(['-p', String(port), '-t', 't', '-m', 'm', '-u', 'alice', '-P']);
    await run.waitForStdout(/Password: /);
    run.proc.stdin!.write('wrong\x15sekritX\x7f\r');
    const server = await accepted;
    const connect = await server.next('connect');
    expect(connect.username).toBe('alice');
    expect(connect.password?.toString()).toBe('sekrit');
    server.send({ cmd: 'connack', sessionPresent: false, returnCode: 0 });
    await server.next('publish');
    server.socket.end();
    const r = await run.done;
    expect(r.code).toBe(0);
    expect(r.stdout.toString()).not.toMatch(/sekrit|wrong/);
  });

  it('Ctrl-C or Ctrl-D at the prompt: "No password given.", exit 1, no connection', async () => {
    for (const key of ['abc\x03', '\x04']) {
      const run = onTerminal(['-p', '1', '-t', 't', '-m', 'm', '-u', 'alice', '-P']);
      await run.waitForStdout(/Password: /);
      run.proc.stdin!.write(key);
      const r = await run.done;
      expect(r.code).toBe(1);
      expect(r.stdout.toString()).toContain('Error: No password given.');
    }
  });
});
