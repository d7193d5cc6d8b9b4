import { afterAll, beforeAll, expect, it } from 'vitest';
import { RawClient } from '../helpers/broker.js';
import { startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js';

/**
 * Log lines are cut at Mosquitto's 999 characters (its char log_line[1000]). Mosquitto's
 * 01-connect-575314 runs the broker with -v, its stderr a pipe read only at the end, and connects
 * with a 65,000-character client id: with full-length lines ("New client connected ... as aaaa…")
 * the broker stopped answering in that set-up (the test timed out; with the cut it passes).
 */

let bp: BrokerProcess;
beforeAll(async () => {
  bp = await startBrokerProcess(undefined, ['-v']);
}, 30_000);
afterAll(async () => {
  await bp?.stop();
});

it('a 65,000-character client id is logged in lines of at most 999 characters', async () => {
  const id = `long-${'a'.repeat(65_000)}`;
  const c = await RawClient.connect(bp.port, 5);
  expect((await c.handshake({ clientId: id })).reasonCode).toBe(0);
  c.end();
  // the second line about it: "<time>: Client long-aaa… closed its connection." (cut before its end)
  const log = await bp.proc.waitForStderr(/\d+: Client long-a+/);
  const lines = log.split('\n');
  const about = lines.filter((l) => l.includes('long-aaaa'));
  expect(about.length).toBeGreaterThanOrEqual(2);
  for (const l of lines) expect(l.length).toBeLessThanOrEqual(999);
  // the connection line is one of the cut ones: it starts as Mosquitto's does
  expect(about.some((l) => /^\d+: New client connected from 127\.0\.0\.1:\d+ as long-a+$/.test(l)), about.map((l) => l.slice(0, 80)).join('\n')).toBe(true);
});
