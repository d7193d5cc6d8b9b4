import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Packet } from 'mqtt-packet';
import { describe, expect, it } from 'vitest';
import type { ProtocolVersion } from '../../src/core/protocol/types.js';
import { RawClient } from '../helpers/broker.js';
import type { Running } from '../helpers/cli.js';
import { endedAfterEach, startPersistBroker, stopPersistBroker } from '../helpers/persist-broker.js';

// QoS 1/2 state of persistent sessions across a broker restart (SIGTERM and kill -9), in both
// directions, at packet level: what was in flight to a subscriber keeps its packet id and stage
// (PUBLISH again with DUP, or PUBREL when PUBREC had come) [MQTT-4.4.0-1], and an incoming QoS 2
// id answered with PUBREC stays known, so the publisher's resend is not routed twice [MQTT-4.3.3-9].

const { dirs, procs, clients } = endedAfterEach();

async function broker(dir: string) {
  // one process (no launcher): half the start-up cost; kill -9 ends the process that holds the store
  const b = await startPersistBroker(dir, { single: true });
  procs.push(b.proc);
  return b;
}

async function stop(b: { proc: Running }, how: 'SIGTERM' | 'SIGKILL') {
  await stopPersistBroker(b.proc, how);
  procs.splice(procs.indexOf(b.proc), 1);
}

/** A raw client on a persistent session (3.1.1: clean session 0; 5: session expiry 1 h). */
async function connect(port: number, version: ProtocolVersion, clientId: string, expectPresent: boolean): Promise<RawClient> {
  const c = await RawClient.connect(port, version);
  clients.push(c);
  const connack = await c.handshake({ clientId, clean: false, ...(version === 5 ? { properties: { sessionExpiryInterval: 3600 } } : {}) });
  expect(connack.returnCode ?? connack.reasonCode ?? 0).toBe(0);
  expect(connack.sessionPresent).toBe(expectPresent);
  return c;
}

const publish = (topic: string, payload: string, qos: 0 | 1 | 2, messageId?: number, dup = false): Packet =>
  ({ cmd: 'publish', topic, payload: Buffer.from(payload), qos, retain: false, dup, ...(qos > 0 ? { messageId } : {}) }) as Packet;

/**
 * A QoS 1 PUBLISH and its PUBACK: in durable mode the PUBACK leaves once this and every earlier
 * write is committed and synced, so after it a kill -9 keeps everything before it.
 */
async function syncPoint(c: RawClient, messageId: number) {
  c.send(publish('sync/point', 'x', 1, messageId));
  await c.waitFor(() => c.packets.some((p) => p.cmd === 'puback' && p.messageId === messageId), 10_000);
}

function dir(): string {
  const d = mkdtempSync(path.join(tmpdir(), 'mqtt-qos2-'));
  dirs.push(d);
  return d;
}

describe.each([
  [4, 'SIGTERM'],
  [4, 'SIGKILL'],
  [5, 'SIGTERM'],
  [5, 'SIGKILL'],
] as const)('in-flight state of persistent sessions survives a restart (MQTT %s, %s)', (version, how) => {
  it('[MQTT-4.4.0-1] to a subscriber: a QoS 2 delivery past PUBREC resumes with PUBREL, the unacknowledged QoS 2 and QoS 1 ones come again with DUP and their packet ids, in order; each flow completes once', async () => {
    const d = dir();
    const a = await broker(d);
    const sub = await connect(a.port, version, `sub-${version}-${how}`, false);
    sub.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'q/#', qos: 2 }] } as Packet);
    await sub.next('suback');
    const pub = await connect(a.port, version, `pub-${version}-${how}`, false);
    pub.send(publish('q/a', 'A', 2, 11));
    pub.send(publish('q/b', 'B', 2, 12));
    pub.send(publish('q/c', 'C', 1, 13));
    const got = [await sub.next('publish'), await sub.next('publish'), await sub.next('publish')];
    expect(got.map((p) => [p.topic, p.payload.toString(), p.qos, p.dup])).toEqual([
      ['q/a', 'A', 2, false],
      ['q/b', 'B', 2, false],
      ['q/c', 'C', 1, false],
    ]);
    const [idA, idB, idC] = got.map((p) => p.messageId!);
    // A gets to the PUBREL stage; B and C stay unacknowledged
    sub.send({ cmd: 'pubrec', messageId: idA } as Packet);
    expect((await sub.next('pubrel')).messageId).toBe(idA);
    await syncPoint(pub, 14);
    await stop(a, how);

    const b = await broker(d);
    const back = await connect(b.port, version, `sub-${version}-${how}`, true);
    // in the order they were routed: PUBREL for A (never its PUBLISH again [MQTT-4.3.3-6]), then B and C
    const resent = [await back.next(), await back.next(), await back.next()];
    expect(resent.map((p) => [p.cmd, p.messageId, p.cmd === 'publish' ? [p.topic, p.payload.toString(), p.qos, p.dup] : null])).toEqual([
      ['pubrel', idA, null],
      ['publish', idB, ['q/b', 'B', 2, true]],
      ['publish', idC, ['q/c', 'C', 1, true]],
    ]);
    back.send({ cmd: 'pubcomp', messageId: idA } as Packet);
    back.send({ cmd: 'pubrec', messageId: idB } as Packet);
    expect((await back.next('pubrel')).messageId).toBe(idB);
    back.send({ cmd: 'pubcomp', messageId: idB } as Packet);
    back.send({ cmd: 'puback', messageId: idC } as Packet);
    // on the same connection, so after those acks
    await syncPoint(back, 15);
    await stop(b, how);

    // all complete: a third start resends nothing; the next message is the first thing the client gets
    const c = await broker(d);
    const third = await connect(c.port, version, `sub-${version}-${how}`, true);
    const pub3 = await connect(c.port, version, `pub-${version}-${how}`, true);
    pub3.send(publish('q/marker', 'M', 1, 16));
    const first = await third.next();
    expect([first.cmd, first.cmd === 'publish' && first.topic, first.cmd === 'publish' && first.dup]).toEqual(['publish', 'q/marker', false]);
    await stop(c, 'SIGTERM');
  });

  it('messages queued for an offline client are numbered when queued, as Mosquitto does, and go out under those ids (DUP 0) after the restart', async () => {
    const d = dir();
    const a = await broker(d);
    const id = `queued-${version}-${how}`;
    const sub = await connect(a.port, version, id, false);
    sub.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'qd/#', qos: 2 }] } as Packet);
    await sub.next('suback');
    sub.send({ cmd: 'disconnect' } as Packet);
    await sub.waitClosed();
    const pub = await connect(a.port, version, `queued-pub-${version}-${how}`, false);
    pub.send(publish('qd/1', 'one', 1, 1));
    pub.send(publish('qd/2', 'two', 2, 2));
    pub.send(publish('qd/3', 'three', 1, 3));
    // the last PUBACK: in durable mode all three are on disk
    await pub.waitFor(() => pub.packets.some((p) => p.cmd === 'puback' && p.messageId === 3), 10_000);
    await stop(a, how);

    const b = await broker(d);
    const back = await connect(b.port, version, id, true);
    const got = [await back.next('publish'), await back.next('publish'), await back.next('publish')];
    expect(got.map((p) => [p.topic, p.messageId, p.dup])).toEqual([
      ['qd/1', 1, false],
      ['qd/2', 2, false],
      ['qd/3', 3, false],
    ]);
    await stop(b, 'SIGTERM');
  });

  it('[MQTT-4.3.3-9] from a publisher: a QoS 2 PUBLISH answered PUBREC before the restart and resent with DUP after it is acknowledged again and not routed twice; its PUBREL completes it', async () => {
    const d = dir();
    const a = await broker(d);
    const sub = await connect(a.port, version, `in-sub-${version}-${how}`, false);
    sub.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'in/#', qos: 2 }] } as Packet);
    await sub.next('suback');
    const pub = await connect(a.port, version, `in-pub-${version}-${how}`, false);
    pub.send(publish('in/x', 'once', 2, 7));
    // in durable mode PUBREC leaves once the id (and the deliveries it routed) are on disk
    expect((await pub.next('pubrec')).messageId).toBe(7);
    // the subscriber gets it and completes its flow
    const delivered = await sub.next('publish');
    expect(delivered.payload.toString()).toBe('once');
    sub.send({ cmd: 'pubrec', messageId: delivered.messageId } as Packet);
    await sub.next('pubrel');
    sub.send({ cmd: 'pubcomp', messageId: delivered.messageId } as Packet);
    await syncPoint(sub, 2);
    await stop(a, how);

    const b = await broker(d);
    const subBack = await connect(b.port, version, `in-sub-${version}-${how}`, true);
    const pubBack = await connect(b.port, version, `in-pub-${version}-${how}`, true);
    // the publisher never saw PUBCOMP: it sends the PUBLISH again with DUP [MQTT-4.4.0-1]
    pubBack.send(publish('in/x', 'once', 2, 7, true));
    expect((await pubBack.next('pubrec')).messageId).toBe(7);
    pubBack.send({ cmd: 'pubrel', messageId: 7 } as Packet);
    const comp = await pubBack.next('pubcomp');
    expect(comp.messageId).toBe(7);
    // v5: the id was known (0x92 Packet Identifier not found would mean the state was lost)
    if (version === 5) expect(comp.reasonCode ?? 0).toBe(0);
    // a marker after it: the first thing the subscriber gets; the resend was not routed again
    pubBack.send(publish('in/marker', 'after', 1, 8));
    await pubBack.next('puback');
    const next = await subBack.next('publish');
    expect([next.topic, next.payload.toString()]).toEqual(['in/marker', 'after']);
    // and the id is free again: the same id is a new message now [MQTT-4.3.3-12]
    pubBack.send(publish('in/y', 'new', 2, 7));
    expect((await pubBack.next('pubrec')).messageId).toBe(7);
    expect((await subBack.next('publish')).payload.toString()).toBe('new');
    await stop(b, 'SIGTERM');
  });
});
