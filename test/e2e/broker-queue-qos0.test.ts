// queue_qos0_messages (issue 12): QoS 0 messages for an offline persistent session are queued
// (true) or dropped (false, Mosquitto's default), side by side with a real Mosquitto; with
// persistence the queued ones survive kill -9 and SIGTERM.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MqttClient } from '../../src/client/mqtt-client.js';
import type { ProtocolVersion } from '../../src/core/protocol/types.js';
import { startBrokerProcess } from '../helpers/broker-process.js';
import { testClientConfig } from '../helpers/client-config.js';
import { Inbox } from '../helpers/inbox.js';
import { startMosquitto } from '../helpers/mosquitto.js';
import { describeIfTool } from '../helpers/peers.js';
import { endedAfterEach, startPersistBroker, stopPersistBroker } from '../helpers/persist-broker.js';

const made = endedAfterEach();
const clients: MqttClient[] = [];
const stops: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.destroy();
  for (const s of stops.splice(0)) await s().catch(() => undefined);
});

function tempDir(): string {
  const d = mkdtempSync(path.join(tmpdir(), 'mqtt-queue-qos0-'));
  made.dirs.push(d);
  return d;
}

function client(port: number, version: ProtocolVersion, clientId: string, clean: boolean): MqttClient {
  const c = new MqttClient(testClientConfig(port, version, { clientId, cleanSession: clean, ...(version === 5 && !clean ? { sessionExpiry: 600 } : {}) }));
  clients.push(c);
  return c;
}

/**
 * A persistent subscriber goes away; two QoS 0 messages and one QoS 1 are published; it returns.
 * What it gets, in order (the fence, a QoS 1 message published after its return, comes last).
 */
async function offlineQos0(port: number, version: ProtocolVersion): Promise<string[]> {
  const sub = client(port, version, `q0-sub-${version}`, false);
  await sub.connect();
  await sub.subscribe([{ topic: 'q0/#', qos: 1 }]);
  await sub.disconnect();
  const pub = client(port, 4, `q0-pub-${version}`, true);
  await pub.connect();
  await pub.publish('q0/a', Buffer.from('zero-1'), { qos: 0, retain: false });
  await pub.publish('q0/b', Buffer.from('one'), { qos: 1, retain: false });
  await pub.publish('q0/c', Buffer.from('zero-2'), { qos: 0, retain: false });
  // a QoS 1 round trip after them: the broker has routed the QoS 0 ones
  await pub.publish('other', Buffer.from('x'), { qos: 1, retain: false });
  const back = client(port, version, `q0-sub-${version}`, false);
  const inbox = new Inbox(back);
  await back.connect();
  await pub.publish('q0/fence', Buffer.from('fence'), { qos: 1, retain: false });
  await inbox.until('the fence', () => inbox.got.some((p) => p.topic === 'q0/fence'));
  await pub.disconnect();
  return inbox.got.map((p) => `${p.topic} ${p.payload.toString()} q${p.qos}`);
}

async function startOurs(lines: string[]): Promise<number> {
  const b = await startBrokerProcess((_dir, port) => [`listener ${port} 127.0.0.1`, 'allow_anonymous true', ...lines]);
  stops.push(() => b.stop());
  return b.port;
}

describeIfTool(['mosquitto'], 'queue_qos0_messages, ours beside Mosquitto', () => {
  for (const setting of [true, false]) {
    for (const version of [4, 5] as const) {
      it(`queue_qos0_messages ${setting}, MQTT ${version === 5 ? '5' : '3.1.1'}: what an offline persistent subscriber gets on its return`, async () => {
        const lines = [`queue_qos0_messages ${setting}`];
        const mosquitto = await startMosquitto({ config: lines });
        stops.push(() => mosquitto.stop());
        const theirs = await offlineQos0(mosquitto.port, version);
        const ours = await offlineQos0(await startOurs(lines), version);
        expect(ours).toEqual(theirs);
        expect(ours).toEqual(
          setting ? ['q0/a zero-1 q0', 'q0/b one q1', 'q0/c zero-2 q0', 'q0/fence fence q1'] : ['q0/b one q1', 'q0/fence fence q1'],
        );
      }, 60_000);
    }
  }
});

describe.each([
  ['SIGKILL', 4],
  ['SIGKILL', 5],
  ['SIGTERM', 4],
  ['SIGTERM', 5],
] as const)('queue_qos0_messages true with persistence, broker stopped with %s, MQTT %s (4: 3.1.1)', (how, version) => {
  it('QoS 0 messages queued for an offline session are delivered after the restart, in order with QoS 1', async () => {
    const dir = tempDir();
    const conf = path.join(dir, 'extra.conf');
    writeFileSync(conf, 'queue_qos0_messages true\n');
    let b = await startPersistBroker(dir, { single: true, args: ['-c', conf] });
    made.procs.push(b.proc);
    const sub = client(b.port, version, 'q0-persist', false);
    await sub.connect();
    await sub.subscribe([{ topic: 'q0/#', qos: 1 }]);
    await sub.disconnect();
    const pub = client(b.port, 4, 'q0-pub', true);
    await pub.connect();
    await pub.publish('q0/a', Buffer.from('zero-1'), { qos: 0, retain: false });
    // acknowledged once stored (durable mode), and after the QoS 0 message's record in the same order of commits
    await pub.publish('q0/b', Buffer.from('one'), { qos: 1, retain: false });
    await pub.disconnect();
    await stopPersistBroker(b.proc, how);
    made.procs.splice(made.procs.indexOf(b.proc), 1);

    b = await startPersistBroker(dir, { single: true, args: ['-c', conf] });
    made.procs.push(b.proc);
    const back = client(b.port, version, 'q0-persist', false);
    const inbox = new Inbox(back);
    await back.connect();
    await inbox.until('both queued messages', () => inbox.got.length >= 2);
    expect(inbox.got.map((p) => `${p.topic} ${p.payload.toString()} q${p.qos}`)).toEqual(['q0/a zero-1 q0', 'q0/b one q1']);
  }, 60_000);
});
