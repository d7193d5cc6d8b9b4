// Wills waiting out their delay survive a restart of a persistent broker (issue 12): kill -9 and
// SIGTERM, the delay counted across the downtime, cancelled by the client's return
// [MQTT-3.1.3-9]. Real broker processes (`mqtt broker --persist DIR`, -v for its connection
// lines), real clients.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MqttClient } from '../../src/client/mqtt-client.js';
import type { ProtocolVersion } from '../../src/core/protocol/types.js';
import { testClientConfig } from '../helpers/client-config.js';
import { Inbox } from '../helpers/inbox.js';
import { endedAfterEach, startPersistBroker, stopPersistBroker, type PersistBroker } from '../helpers/persist-broker.js';

const made = endedAfterEach();
const clients: MqttClient[] = [];
afterEach(() => {
  for (const c of clients.splice(0)) c.destroy();
});

function storeDir(): string {
  const d = mkdtempSync(path.join(tmpdir(), 'mqtt-persist-wills-'));
  made.dirs.push(d);
  return d;
}

async function start(dir: string): Promise<PersistBroker> {
  const b = await startPersistBroker(dir, { single: true, args: ['-v'] });
  made.procs.push(b.proc);
  return b;
}

async function stop(b: PersistBroker, how: 'SIGTERM' | 'SIGKILL'): Promise<void> {
  await stopPersistBroker(b.proc, how);
  made.procs.splice(made.procs.indexOf(b.proc), 1);
}

function client(port: number, version: ProtocolVersion, clientId: string, extra: Parameters<typeof testClientConfig>[2] = {}): MqttClient {
  const c = new MqttClient(testClientConfig(port, version, { clientId, cleanSession: false, ...(version === 5 ? { sessionExpiry: 600 } : {}), ...extra }));
  clients.push(c);
  return c;
}

async function connect(port: number, version: ProtocolVersion, clientId: string, extra: Parameters<typeof testClientConfig>[2] = {}): Promise<MqttClient> {
  const c = client(port, version, clientId, extra);
  await c.connect();
  return c;
}

/** A persistent subscriber to wills/#, with what it received (queued messages come right after CONNACK). */
async function watcher(port: number, version: ProtocolVersion): Promise<{ client: MqttClient; inbox: Inbox }> {
  const c = client(port, version, 'will-watcher');
  const inbox = new Inbox(c);
  await c.connect();
  await c.subscribe([{ topic: 'wills/#', qos: 1 }]);
  return { client: c, inbox };
}

/**
 * Resolves once what the broker wrote before is on disk: a retained fence's PUBACK waits for its
 * commit, which comes after the earlier ones (durable mode; commits keep their order).
 */
async function onDisk(port: number, fenceId: string): Promise<void> {
  const fence = await connect(port, 4, fenceId, { cleanSession: true });
  await fence.publish('fence/retained', Buffer.from(fenceId), { qos: 1, retain: true });
  await fence.disconnect();
}

/** The client's connection closes without DISCONNECT; resolves once the broker has seen it (its connection line) and what that wrote is on disk. */
async function dropWithWill(b: PersistBroker, c: MqttClient, clientId: string): Promise<void> {
  c.destroy();
  await b.proc.waitForStderr(new RegExp(`Client ${clientId} closed its connection`));
  await onDisk(b.port, 'fence');
}

/** What the watcher got, once a message published after everything else (the fence) has come: nothing else is on its way. */
async function textsToFence(port: number, inbox: Inbox, fenceId: string): Promise<string[]> {
  const f = await connect(port, 4, fenceId, { cleanSession: true });
  await f.publish('wills/fence', Buffer.from('fence'), { qos: 1, retain: false });
  await inbox.until('the fence', () => inbox.got.some((p) => p.topic === 'wills/fence'));
  return inbox.texts();
}

const willConfig = (delay: number, topic = 'wills/dev') => ({
  will: { topic, payload: Buffer.from('gone'), qos: 1 as const, retain: false, properties: { willDelayInterval: delay } },
});

describe.each(['SIGKILL', 'SIGTERM'] as const)('a will waiting out its delay, broker stopped with %s', (how) => {
  it('is published after the restart, once, when its delay (counted across the downtime) has passed [MQTT-3.1.3-9]', async () => {
    const dir = storeDir();
    let b = await start(dir);
    const w = await watcher(b.port, 5);
    const dev = await connect(b.port, 5, 'dev', willConfig(2));
    const droppedAt = Date.now();
    await dropWithWill(b, dev, 'dev');
    await stop(b, how);
    // the watcher was connected through the stop and got nothing: with persistence the will is
    // kept waiting, not sent at the stop as Mosquitto (without a store to keep it in) does
    expect(w.inbox.texts()).toEqual([]);

    b = await start(dir);
    expect(b.proc.stderr).toMatch(/1 delayed wills restored/);
    const back = await watcher(b.port, 5);
    await back.inbox.until('the will after its delay', () => back.inbox.got.some((p) => p.topic === 'wills/dev'), 15_000);
    // not before the delay it was given when the connection closed
    expect(Date.now() - droppedAt).toBeGreaterThanOrEqual(2000);
    // the will came once
    expect(await textsToFence(b.port, back.inbox, 'fence2')).toEqual(['wills/dev gone', 'wills/fence fence']);
    await stop(b, 'SIGTERM');
    const again = await start(dir);
    expect(again.proc.stderr).toMatch(/0 delayed wills restored/);
  }, 60_000);

  it('whose delay ran out while the broker was stopped, is published at start-up and queued for a persistent subscriber', async () => {
    const dir = storeDir();
    let b = await start(dir);
    const w = await watcher(b.port, 5);
    await w.client.disconnect();
    const dev = await connect(b.port, 5, 'dev', willConfig(1));
    const due = Date.now() + 1000;
    await dropWithWill(b, dev, 'dev');
    await stop(b, how);
    // waiting for the due time to pass while the broker is down (the event this case is about)
    while (Date.now() <= due) await new Promise((r) => setTimeout(r, due + 5 - Date.now()));
    b = await start(dir);
    expect(b.proc.stderr).toMatch(/1 delayed wills restored/);
    const back = await watcher(b.port, 5);
    await back.inbox.until('the will queued while the watcher was away', () => back.inbox.got.length > 0);
    expect(back.inbox.texts()).toEqual(['wills/dev gone']);
  }, 60_000);

  it('is not published when its client comes back to its session, even across the restart [MQTT-3.1.3-9]', async () => {
    const dir = storeDir();
    let b = await start(dir);
    const w = await watcher(b.port, 5);
    const dev = await connect(b.port, 5, 'dev', willConfig(30));
    await dropWithWill(b, dev, 'dev');
    await w.client.disconnect();
    await stop(b, how);

    b = await start(dir);
    expect(b.proc.stderr).toMatch(/1 delayed wills restored/);
    // the client returns within the delay: its will is cancelled, and its record goes
    const devBack = await connect(b.port, 5, 'dev');
    await devBack.disconnect();
    await onDisk(b.port, 'fence2');
    await stop(b, how);
    b = await start(dir);
    expect(b.proc.stderr).toMatch(/0 delayed wills restored/);
    const back = await watcher(b.port, 5);
    expect(await textsToFence(b.port, back.inbox, 'fence3')).toEqual(['wills/fence fence']);
  }, 60_000);
});

it('3.1.1: a will goes when the connection closes; the restart does not send it again', async () => {
  const dir = storeDir();
  let b = await start(dir);
  const w = await watcher(b.port, 4);
  const dev = await connect(b.port, 4, 'dev311', { will: { topic: 'wills/dev311', payload: Buffer.from('gone'), qos: 1, retain: false } });
  dev.destroy();
  await w.inbox.until('the 3.1.1 will', () => w.inbox.got.length > 0);
  await w.client.disconnect();
  // its PUBACK is on disk before the kill (else the restart resends the will's QoS 1 copy, as it may)
  await b.proc.waitForStderr(/Client will-watcher disconnected/);
  await onDisk(b.port, 'fence0');
  await stop(b, 'SIGKILL');
  b = await start(dir);
  expect(b.proc.stderr).toMatch(/0 delayed wills restored/);
  const back = await watcher(b.port, 4);
  expect(await textsToFence(b.port, back.inbox, 'fence')).toEqual(['wills/fence fence']);
}, 60_000);
