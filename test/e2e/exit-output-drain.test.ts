import { spawn } from 'node:child_process';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { MqttClient } from '../../src/client/mqtt-client.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { MQTT_BIN } from '../helpers/cli.js';
import { testClientConfig } from '../helpers/client-config.js';

/**
 * bin/mqtt exits only once its output has left: a pipe whose reader is slower than the command
 * takes writes asynchronously, and `mqtt pub -l -d | wc -l` used to lose the tail of its -d lines.
 * Here the reader does not read at all until the broker has every message (so the command has
 * finished and, before the fix, exited with a full pipe), then reads everything.
 */

const LINES = 20_000;
let broker: TestBroker;

beforeAll(async () => {
  broker = await startTestBroker();
});
afterAll(async () => {
  await broker?.stop();
});

it('a command exits only after a slow pipe has taken all of its output', async () => {
  const topic = `drain/${Math.random().toString(36).slice(2)}`;
  const watcher = new MqttClient(testClientConfig(broker.port, 4));
  await watcher.connect();
  let seen = 0;
  const allSeen = new Promise<void>((resolve) => {
    watcher.on('message', () => {
      if (++seen === LINES) resolve();
    });
  });
  await watcher.subscribe([{ topic, qos: 1 }]);

  const child = spawn(process.execPath, [MQTT_BIN, 'pub', '-h', '127.0.0.1', '-p', String(broker.port), '-t', topic, '-q', '1', '-l', '-d'], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  child.stdout.pause();
  child.stdin.end(Array.from({ length: LINES }, (_, i) => `line ${i}`).join('\n') + '\n');

  const deadline = new Promise<never>((_, reject) =>
    setTimeout(() => reject(new Error(`the broker saw ${seen} of ${LINES} messages within 60 s`)), 60_000).unref(),
  );
  await Promise.race([allSeen, deadline]);

  let output = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (output += d));
  child.stdout.resume();
  const code = await Promise.race([exited, deadline]);
  await watcher.disconnect();

  const lines = output.split('\n').filter(Boolean);
  expect(code).toBe(0);
  // CONNECT, CONNACK, DISCONNECT and for each message its PUBLISH and PUBACK lines
  expect(lines.filter((l) => l.includes('sending PUBLISH'))).toHaveLength(LINES);
  expect(lines.at(-1)).toMatch(/sending DISCONNECT$/);
}, 90_000);
