/**
 * Lossless capture in, lossless capture out: `mqtt sub --json | mqtt pub --json-lines` publishes
 * every message again as it was (payload bytes, QoS, MQTT v5 properties, user properties in wire
 * order [MQTT-3.3.2-18]), and --replay-timing/--speed keep the gaps between them.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runMqtt, spawnMqtt } from '../helpers/cli.js';
import { startMosquitto, type Mosquitto } from '../helpers/mosquitto.js';
import { describeIfTool } from '../helpers/peers.js';
import { at, CLEAN_ENV, MOSQUITTO_PEERS, properties, publish, scratchFiles, subscribed, uniqueId, type ScratchFiles } from '../helpers/pubsub.js';

describeIfTool(MOSQUITTO_PEERS, 'pub --json-lines replays what sub --json captured', () => {
  let broker: Mosquitto;
  let files: ScratchFiles;
  beforeAll(async () => {
    broker = await startMosquitto();
    files = scratchFiles('replay');
  });
  afterAll(async () => {
    files?.remove();
    await broker?.stop();
  });

  /** `mqtt sub --json -V 5` on `filter` for `count` messages, subscribed when this resolves. */
  async function capture(filter: string, count: number) {
    const id = uniqueId('cap');
    const sub = spawnMqtt(['sub', ...at(broker), '-V', '5', '-i', id, '-t', filter, '-C', String(count), '--json'], { env: CLEAN_ENV });
    await subscribed(broker, sub, id);
    return sub;
  }

  const records = (ndjson: string) => ndjson.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  /** what must survive the round trip: everything but the receive time and the packet id */
  const lasting = (r: Record<string, unknown>) => {
    const { time: _time, mid: _mid, ...rest } = r;
    return rest;
  };

  it('text, binary, QoS 1 and 2, and v5 properties (user properties in wire order, binary correlation data) come out the same', async () => {
    const t = `rp/${uniqueId('rt')}`;
    const first = await capture(`${t}/#`, 4);
    await publish(broker, ['-t', `${t}/text`, '-m', 'héllo wörld']);
    await publish(broker, ['-t', `${t}/bin`, '-f', files.allBytes, '-q', '1']);
    await publish(broker, [
      '-t', `${t}/props`, '-q', '2', '-m', '{"on":true}',
      ...properties('publish', ['user-property', 'k', 'v'], ['user-property', 'k2', 'v 2'], ['user-property', 'k', 'again'], ['content-type', 'application/json'],
        ['correlation-data', '\x01\x02 id'], ['response-topic', 'reply/here'], ['payload-format-indicator', '1']),
    ]);
    await publish(broker, ['-t', `${t}/empty`, '-n']);
    const captured = await first.done;
    expect(captured.code, captured.stderr).toBe(0);
    const ndjson = captured.stdout.toString();
    expect(records(ndjson).map((r) => r.topic)).toEqual([`${t}/text`, `${t}/bin`, `${t}/props`, `${t}/empty`]);

    const second = await capture(`${t}/#`, 4);
    const replay = await runMqtt(['pub', ...at(broker), '-V', '5', '--json-lines'], { input: ndjson, env: CLEAN_ENV });
    expect(replay.code, replay.stderr).toBe(0);
    const again = await second.done;
    expect(again.code, again.stderr).toBe(0);
    expect(records(again.stdout.toString()).map(lasting)).toEqual(records(ndjson).map(lasting));
    const props = records(again.stdout.toString())[2]!.properties as Record<string, unknown>;
    expect(props['user-properties']).toEqual([['k', 'v'], ['k2', 'v 2'], ['k', 'again']]);
    expect(Buffer.from(props['correlation-data'] as string, 'base64')).toEqual(Buffer.from('\x01\x02 id'));
  });

  it('--replay-timing --speed 2 keeps the gaps, halved', async () => {
    const t = `rp/${uniqueId('timing')}`;
    const lines = [0, 800, 1600].map((ms, i) => JSON.stringify({ time: new Date(Date.UTC(2026, 0, 1, 0, 0, 0, ms)).toISOString(), topic: `${t}/m`, qos: 0, retain: false, payload: `m${i}` }));
    const sub = await capture(`${t}/#`, 3);
    const started = performance.now();
    const replay = await runMqtt(['pub', ...at(broker), '--json-lines', '--replay-timing', '--speed', '2'], { input: lines.join('\n') + '\n', env: CLEAN_ENV });
    const took = performance.now() - started;
    expect(replay.code, replay.stderr).toBe(0);
    const got = records((await sub.done).stdout.toString());
    expect(got.map((r) => r.payload)).toEqual(['m0', 'm1', 'm2']);
    const times = got.map((r) => Date.parse(r.time as string));
    // 400 ms apart at double speed (a loaded machine only makes gaps longer)
    expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(350);
    expect(times[2]! - times[0]!).toBeGreaterThanOrEqual(750);
    expect(took).toBeGreaterThanOrEqual(750);
  });

  it('a bad line stops the replay with its line number and status 1, after publishing the lines before it', async () => {
    const t = `rp/${uniqueId('bad')}`;
    const sub = await capture(`${t}/#`, 1);
    const input = [JSON.stringify({ topic: `${t}/ok`, payload: 'fine' }), '', '{"topic": "x", "payload": "AA", "encoding": "hex"}', JSON.stringify({ topic: `${t}/never`, payload: 'no' })].join('\n');
    const r = await runMqtt(['pub', ...at(broker), '--json-lines'], { input, env: CLEAN_ENV });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('Error: stdin line 3: "encoding" must be "utf8" or "base64".\n');
    expect(records((await sub.done).stdout.toString()).map((x) => x.payload)).toEqual(['fine']);
  });

  it('option checks: --speed needs --replay-timing, which needs --json-lines; no --repeat', async () => {
    for (const [args, error] of [
      [['-t', 'a', '-m', 'x', '--replay-timing'], 'Error: --replay-timing and --speed need --json-lines.'],
      [['--json-lines', '--speed', '2'], 'Error: --speed needs --replay-timing.'],
      [['--json-lines', '--replay-timing', '--speed', '0'], 'Error: Invalid --speed "0", it must be a number above 0.'],
      [['--json-lines', '--repeat', '2'], 'Error: --repeat cannot be used with --json-lines.'],
    ] as const) {
      const r = await runMqtt(['pub', ...at(broker), ...args], { env: CLEAN_ENV });
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr.split('\n')[0], args.join(' ')).toBe(error);
    }
  });
});
