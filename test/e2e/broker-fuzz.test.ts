import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cases, pool, probe, type Outcome } from '../../scripts/fuzz/fuzz-lib.js';
import { brokerWorkerPid, startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js';
import { RawClient } from '../helpers/broker.js';

/**
 * Mutation fuzzing of `mqtt broker` as a real process (issue 10): single mutated packets of every
 * type a client sends, MQTT 3.1.1 and 5, each on its own connection, while a health-check
 * publisher and subscriber pair must keep getting their messages. The broker must stay up, log
 * no internal error and stay within a memory bound. A bounded count, so it runs in seconds; the
 * seed changes per run and is printed with any failure (MQTT_FUZZ_SEED=N reproduces a run), and
 * scripts/fuzz/differential.mjs runs the same cases against Mosquitto for comparison.
 */
const COUNT = Number(process.env.MQTT_FUZZ_COUNT ?? 1200);
const SEED = Number(process.env.MQTT_FUZZ_SEED ?? Date.now() % 2 ** 31);
const uid = () => Math.random().toString(36).slice(2, 10);

let broker: BrokerProcess;
beforeAll(async () => {
  broker = await startBrokerProcess();
});
afterAll(async () => {
  await broker?.stop();
});

function rssMB(pid: number): number {
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;
}

describe('broker fuzz: mutated packets of every type, 3.1.1 and 5', () => {
  it(`${COUNT} single mutated packets: the broker stays up and a health-check client keeps getting its messages`, async () => {
    const topic = `health/${uid()}`;
    const sub = await RawClient.connect(broker.port, 4);
    await sub.handshake({ clientId: `health-sub-${uid()}` });
    sub.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic, qos: 1 }] } as never);
    await sub.next('suback');
    const pub = await RawClient.connect(broker.port, 5);
    await pub.handshake({ clientId: `health-pub-${uid()}` });

    let fuzzing = true;
    const checks: string[] = [];
    // one QoS 1 round trip after another while the fuzzing runs, each with its own deadline
    const health = (async () => {
      for (let n = 1; fuzzing; n++) {
        pub.send({ cmd: 'publish', topic, payload: Buffer.from(`check ${n}`), qos: 1, messageId: (n % 65535) + 1, retain: false, dup: false } as never);
        try {
          const got = await sub.next('publish', 10_000);
          if (got.messageId) sub.send({ cmd: 'puback', messageId: got.messageId } as never);
          await pub.next('puback', 10_000);
          checks.push(got.payload.toString() === `check ${n}` ? 'ok' : `check ${n} got "${got.payload.toString()}"`);
        } catch (err) {
          checks.push(`check ${n}: ${(err as Error).message}`);
          return;
        }
      }
    })();

    const outcomes: Record<Outcome, number> = { closed: 0, open: 0, silent: 0 };
    await pool(cases(COUNT, SEED, `ci${process.pid}`), 8, async (c) => {
      outcomes[await probe(broker.port, c, 1500)]++;
    });
    fuzzing = false;
    await health;

    const context = `seed ${SEED} (MQTT_FUZZ_SEED=${SEED} reproduces); outcomes ${JSON.stringify(outcomes)}; broker stderr tail:\n${broker.proc.stderr.slice(-2000)}`;
    expect(broker.proc.proc.exitCode, context).toBeNull();
    expect(checks.filter((c) => c !== 'ok'), context).toEqual([]);
    expect(checks.length, context).toBeGreaterThan(0);
    expect(broker.proc.stderr, context).not.toMatch(/Internal error|Unable to encode|MaxListenersExceededWarning|TimeoutOverflowWarning/);
    // a mutated packet never makes the broker keep more than a few MB
    expect(rssMB(brokerWorkerPid(broker.proc.proc.pid!)), context).toBeLessThan(400);
    // every mutated packet got one of the three reactions; most are refused, some carried on
    expect(outcomes.closed + outcomes.open + outcomes.silent).toBe(COUNT);
    expect(outcomes.closed, context).toBeGreaterThan(COUNT / 4);

    // still serving new clients
    const last = await RawClient.connect(broker.port, 5);
    await last.handshake();
    last.send({ cmd: 'pingreq' } as never);
    await last.next('pingresp');
    last.end();
    sub.end();
    pub.end();
  }, 120_000);
});
