/**
 * A v5 broker's CONNACK Maximum QoS below the QoS asked for: `mqtt pub/sub/rr` next to
 * mosquitto_pub/sub/rr 2.0, against a Mosquitto and against `mqtt broker` with the same
 * `max_qos` listeners (A: max_qos 1, B: max_qos 0). The client must not send a PUBLISH above
 * Maximum QoS [MQTT-3.2.2-11]: mosquitto_pub -m/-n/-s/--repeat says "Message QoS not supported on
 * broker, try a lower QoS." and disconnects (status 0); -l and mosquitto_rr leave with "Requested
 * QoS not supported on server." (status 24, MOSQ_ERR_QOS_NOT_SUPPORTED) and close without
 * DISCONNECT. A will above it is the broker's to refuse, CONNACK 0x9B [MQTT-3.2.2-12]; a
 * subscription is granted at most Maximum QoS and said as usual; mosquitto_sub --remove-retained's
 * QoS 1 removal is silently not sent to a Maximum QoS 0 broker. MQTT 3.1.1 has no Maximum QoS:
 * the PUBLISH goes out and the broker drops the connection, for both clients alike.
 *
 * Both clients run one after the other with the same client id, so -d output compares byte for
 * byte; for Mosquitto its log also shows that no PUBLISH arrived. Ours alone: pub --json-lines.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunResult, spawnCmd, spawnMqtt } from '../helpers/cli.js';
import { startBrokerProcess } from '../helpers/broker-process.js';
import { type Mosquitto, startMosquitto } from '../helpers/mosquitto.js';
import { describeIfTool } from '../helpers/peers.js';
import { freePort } from '../helpers/ports.js';
import { CLEAN_ENV, expectSameOutcome, outcome, type Tool, uniqueId } from '../helpers/pubsub.js';

const config = (a: number, b: number) => [`listener ${a} 127.0.0.1`, 'max_qos 1', `listener ${b} 127.0.0.1`, 'max_qos 0', 'allow_anonymous true'];

interface Target {
  a: number;
  b: number;
  /** Mosquitto's log, to see what reached it (ours: undefined) */
  mosquitto?: Mosquitto;
  stop(): Promise<void>;
}

const TARGETS: Record<string, () => Promise<Target>> = {
  mosquitto: async () => {
    const b = await freePort();
    let a = 0;
    const m = await startMosquitto({ listenerConfig: (port) => config((a = port), b) });
    return { a, b, mosquitto: m, stop: () => m.stop() };
  },
  ours: async () => {
    const b = await freePort();
    let a = 0;
    const broker = await startBrokerProcess((_dir, port) => config((a = port), b));
    return { a, b, stop: () => broker.stop() };
  },
};

type Kind = 'pub' | 'sub' | 'rr';

function run(tool: Tool, kind: Kind, args: string[], input = ''): Promise<RunResult> {
  const opts = { input, env: CLEAN_ENV };
  return (tool === 'mqtt' ? spawnMqtt([kind, ...args], opts) : spawnCmd(`mosquitto_${kind}`, args, opts)).done;
}

interface Case {
  name: string;
  kind: Kind;
  /** the listener: A (max_qos 1) or B (max_qos 0) */
  listener: 'a' | 'b';
  args: string[];
  input?: string;
  /** what both must end with, beside being the same */
  code: number;
  stderr: string;
  /** how Mosquitto sees the client leave: DISCONNECT, the socket closed, or refused at CONNACK */
  ends: 'disconnect' | 'close' | 'refused';
  /** a PUBLISH goes out (QoS within Maximum QoS) */
  sends?: boolean;
}

const REFUSED = 'Error: Message QoS not supported on broker, try a lower QoS.\n';
const QOS_NOT_SUPPORTED = 'Error: Requested QoS not supported on server.\n';

const CASES: Case[] = [
  { name: 'pub -m -q 2 to Maximum QoS 1: refused, nothing sent [MQTT-3.2.2-11]', kind: 'pub', listener: 'a', args: ['-q', '2', '-m', 'x'], code: 0, stderr: REFUSED, ends: 'disconnect' },
  { name: 'pub -m -q 1 to Maximum QoS 0 [MQTT-3.2.2-11]', kind: 'pub', listener: 'b', args: ['-q', '1', '-m', 'x'], code: 0, stderr: REFUSED, ends: 'disconnect' },
  { name: 'pub -n -q 2 --repeat 3: refused once', kind: 'pub', listener: 'a', args: ['-q', '2', '-n', '--repeat', '3'], code: 0, stderr: REFUSED, ends: 'disconnect' },
  { name: 'pub -s -q 2', kind: 'pub', listener: 'a', args: ['-q', '2', '-s'], input: 'one\ntwo\n', code: 0, stderr: REFUSED, ends: 'disconnect' },
  { name: 'pub --quiet -q 2: status 0, nothing said', kind: 'pub', listener: 'a', args: ['-q', '2', '-m', 'x', '--quiet'], code: 0, stderr: '', ends: 'disconnect' },
  { name: 'pub -l -q 2: status 24 at the first line, closed without DISCONNECT', kind: 'pub', listener: 'a', args: ['-q', '2', '-l'], input: 'one\ntwo\n', code: 24, stderr: QOS_NOT_SUPPORTED, ends: 'close' },
  { name: 'pub -l -q 2 without a line: nothing to refuse', kind: 'pub', listener: 'a', args: ['-q', '2', '-l'], code: 0, stderr: '', ends: 'disconnect' },
  { name: 'pub -q 1 to Maximum QoS 1: sent as usual', kind: 'pub', listener: 'a', args: ['-q', '1', '-m', 'x'], code: 0, stderr: '', ends: 'disconnect', sends: true },
  { name: 'pub with a will at QoS 2: CONNACK 0x9B from the broker [MQTT-3.2.2-12]', kind: 'pub', listener: 'a', args: ['-q', '1', '-m', 'x', '--will-topic', 'w', '--will-qos', '2'], code: 155, stderr: 'Connection error: QoS not supported\nError: A network protocol error occurred when communicating with the broker.\n', ends: 'refused' },
  { name: 'sub -q 2 -E: granted 1, said as usual', kind: 'sub', listener: 'a', args: ['-q', '2', '-E'], code: 0, stderr: '', ends: 'disconnect' },
  { name: 'rr -q 2: subscribed, then status 24 before the request [MQTT-3.2.2-11]', kind: 'rr', listener: 'a', args: ['-q', '2', '-e', 'resp', '-m', 'x', '-W', '5'], code: 24, stderr: QOS_NOT_SUPPORTED, ends: 'close' },
];

describeIfTool(['mosquitto', 'mosquitto_pub', 'mosquitto_sub', 'mosquitto_rr'], 'CONNACK Maximum QoS: mqtt pub/sub/rr next to mosquitto_pub/sub/rr', () => {
  for (const name of Object.keys(TARGETS)) {
    describe(`against ${name === 'ours' ? 'mqtt broker' : 'Mosquitto'}`, () => {
      let target: Target;
      beforeAll(async () => {
        target = await TARGETS[name]!();
      }, 30_000);
      afterAll(() => target?.stop());

      for (const c of CASES) {
        it(c.name, async () => {
          const id = uniqueId(`maxqos-${c.kind}`);
          const port = c.listener === 'a' ? target.a : target.b;
          const args = ['-h', '127.0.0.1', '-p', String(port), '-V', '5', '-i', id, '-t', `maxqos/${id}`, '-d', ...c.args];
          const theirs = await run('mosquitto', c.kind, args, c.input);
          const ours = await run('mqtt', c.kind, args, c.input);
          expectSameOutcome(ours, theirs);
          expect(outcome(ours).code).toBe(c.code);
          expect(ours.stderr).toBe(c.stderr);
          // nothing above Maximum QoS left the client: -d shows every packet it sent
          expect(ours.stdout.toString().includes(' sending PUBLISH ')).toBe(c.sends === true);
          const m = target.mosquitto;
          if (m && c.ends !== 'refused') {
            // both clients gone (the same id twice), then what reached Mosquitto
            const end = c.ends === 'disconnect' ? `Received DISCONNECT from ${id}\n` : `Client ${id} closed its connection.\n`;
            await m.waitForLog(new RegExp(`(?:${end.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}[\\s\\S]*?){2}`));
            const log = m.log();
            expect(log.includes(`Received PUBLISH from ${id} `)).toBe(c.sends === true);
            if (c.ends === 'close') expect(log).not.toContain(`Received DISCONNECT from ${id}`);
          }
        });
      }

      it('sub --remove-retained to Maximum QoS 0: its QoS 1 removal is not sent, the message stays [MQTT-3.2.2-11]', async () => {
        const id = uniqueId('maxqos-rm');
        const t = `maxqos/${id}`;
        const keep = await run('mosquitto', 'pub', ['-h', '127.0.0.1', '-p', String(target.b), '-t', t, '-m', 'kept', '-r']);
        expect(keep.code, keep.stderr).toBe(0);
        const args = ['-h', '127.0.0.1', '-p', String(target.b), '-V', '5', '-i', id, '-t', t, '--remove-retained', '-C', '1', '-d', '-W', '5'];
        const theirs = await run('mosquitto', 'sub', args);
        const ours = await run('mqtt', 'sub', args);
        expectSameOutcome(ours, theirs);
        expect(ours.code).toBe(0);
        expect(ours.stdout.toString()).toContain('\nkept\n');
        expect(ours.stdout.toString()).not.toContain(' sending PUBLISH ');
      });

      it('[ours] pub --json-lines: a record above Maximum QoS stops the replay like a bad line, what came before sent [MQTT-3.2.2-11]', async () => {
        const id = uniqueId('maxqos-json');
        const t = `maxqos/${id}`;
        const input = [{ topic: t, payload: 'one', qos: 1 }, { topic: t, payload: 'two', qos: 2 }, { topic: t, payload: 'three', qos: 1 }].map((r) => JSON.stringify(r)).join('\n') + '\n';
        const r = await run('mqtt', 'pub', ['-h', '127.0.0.1', '-p', String(target.a), '-V', '5', '-i', id, '-d', '--json-lines'], input);
        expect(r.stderr).toBe("Error: stdin line 2: QoS 2 is above the broker's Maximum QoS 1.\n");
        expect(r.code).toBe(1);
        const sent = r.stdout.toString().split('\n').filter((l) => l.includes(' sending PUBLISH '));
        expect(sent).toEqual([`Client ${id} sending PUBLISH (d0, q1, r0, m1, '${t}', ... (3 bytes))`]);
      });

      it('MQTT 3.1.1 has no Maximum QoS: the PUBLISH goes out, the broker drops the connection (status 7)', async () => {
        const id = uniqueId('maxqos-311');
        const args = ['-h', '127.0.0.1', '-p', String(target.a), '-V', '311', '-i', id, '-t', `maxqos/${id}`, '-d', '-q', '2', '-m', 'x'];
        const theirs = await run('mosquitto', 'pub', args);
        const ours = await run('mqtt', 'pub', args);
        expectSameOutcome(ours, theirs);
        expect(ours.code).toBe(7);
        expect(ours.stdout.toString()).toContain('sending PUBLISH (d0, q2,');
      });
    });
  }
});
