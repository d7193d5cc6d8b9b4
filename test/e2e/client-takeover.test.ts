/**
 * Client-id collisions. MQTT 5: our broker ends the old connection with DISCONNECT 0x8E "Session
 * taken over" [MQTT-3.1.4-3]; mosquitto_sub and mosquitto_rr then stop (libmosquitto's loop ends
 * at a server DISCONNECT) with status 0, printing only the -d line "Received DISCONNECT (142)".
 * `mqtt sub` / `mqtt rr` do the same and also say why on stderr. MQTT 3.1.1 (Mosquitto 2.0 just
 * closes the old socket, for v5 clients too): after a run of connections closed soon after
 * CONNACK, `mqtt sub` says once that another client probably uses its id, and backs off.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type Running, spawnCmd, spawnMqtt } from '../helpers/cli.js';
import { startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js';
import { startMosquitto, type Mosquitto } from '../helpers/mosquitto.js';
import { describeIfTool } from '../helpers/peers.js';
import { CLEAN_ENV, uniqueId, type Tool } from '../helpers/pubsub.js';

/** mosquitto_* with line-buffered stdout (its -d lines are printf), so a test can wait on them. */
function spawnTool(tool: Tool, kind: 'sub' | 'rr', args: string[]): Running {
  const opts = { env: CLEAN_ENV, timeoutMs: 30_000 };
  return tool === 'mqtt' ? spawnMqtt([kind, ...args], opts) : spawnCmd('stdbuf', ['-oL', `mosquitto_${kind}`, ...args], opts);
}

const TAKEN_OVER = (id: string) => `Session taken over: another client connected with the client id '${id}'.\n`;

describeIfTool(['mosquitto', 'mosquitto_sub', 'mosquitto_rr', 'stdbuf'], 'client-id collisions', () => {
  let ours: BrokerProcess;
  let mosquitto: Mosquitto;
  beforeAll(async () => {
    [ours, mosquitto] = await Promise.all([startBrokerProcess(), startMosquitto()]);
  });
  afterAll(async () => {
    await Promise.all([ours?.stop(), mosquitto?.stop()]);
  });

  /** `first` connects and is ready (its -d stdout shows `ready`), then a second client takes its id. */
  async function takenOver(tool: Tool, kind: 'sub' | 'rr', args: string[], ready: RegExp, id: string) {
    const at = ['-h', '127.0.0.1', '-p', String(ours.port)];
    const first = spawnTool(tool, kind, [...at, '-V', '5', '-i', id, '-d', ...args]);
    await first.waitForStdout(ready);
    const second = spawnMqtt(['sub', ...at, '-V', '5', '-i', id, '-t', 'other', '-W', '20'], { env: CLEAN_ENV });
    const r = await first.done;
    second.kill();
    await second.done;
    return r;
  }

  for (const [kind, args, ready] of [
    ['sub', ['-t', 'tk/a'], /Subscribed \(mid: 1\)/],
    ['rr', ['-t', 'nobody/tk', '-e', 'tk/resp', '-m', 'x'], /sending PUBLISH/],
  ] as const) {
    it(`MQTT 5 ${kind}: DISCONNECT 0x8E ends it with status 0 like mosquitto_${kind}, and we say why`, async () => {
      const theirs = await takenOver('mosquitto', kind, [...args], ready, uniqueId(`tk-m-${kind}`));
      const id = uniqueId(`tk-q-${kind}`);
      const mine = await takenOver('mqtt', kind, [...args], ready, id);
      expect(theirs.code).toBe(0);
      expect(theirs.stdout.toString()).toMatch(/\nReceived DISCONNECT \(142\)\n$/);
      expect(theirs.stderr).toBe('');
      expect(mine.code).toBe(0);
      expect(mine.stdout.toString().split(id).join('ID')).toBe(theirs.stdout.toString().replace(/tk-m-\S+?(?= )/g, 'ID'));
      expect(mine.stderr).toBe(TAKEN_OVER(id));
    });
  }

  it('MQTT 3.1.1: two subs with one id (the broker just closes the old socket): one says so once and backs off', async () => {
    const id = uniqueId('tk311');
    const args = ['sub', '-h', '127.0.0.1', '-p', String(mosquitto.port), '-i', id, '-t', 'tk/b'];
    const a = spawnMqtt(args, { env: CLEAN_ENV, timeoutMs: 60_000 });
    await mosquitto.waitForLog(`Sending SUBACK to ${id}`);
    const b = spawnMqtt(args, { env: CLEAN_ENV, timeoutMs: 60_000 });
    const warning = /^Warning: the broker closed the connection 3 times in a row shortly after accepting it: another client with the client id '.+' is probably connected\. Reconnecting with a growing delay\.\n$/;
    try {
      // the first is knocked off first: at b's CONNECT, then each time b reconnects (about every 2 s)
      await a.waitForStderr(warning, 30_000);
    } finally {
      a.kill();
      b.kill();
    }
    const [ra] = await Promise.all([a.done, b.done]);
    expect(ra.stderr).toMatch(warning);
  }, 40_000);
});
