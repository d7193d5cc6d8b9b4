import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DurableStore } from '../../src/broker/persistence/durable-store.js';
import { FORMAT_VERSION, fromStoredMessage, toStoredMessage } from '../../src/broker/persistence/records.js';
import { StoreError } from '../../src/broker/persistence/store-error.js';

// The durable broker's store alone, on files of its own in a temporary folder.
let dir: string;
let open: DurableStore[] = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'mqtt-store-'));
});
afterEach(async () => {
  await Promise.all(open.map((s) => s.close().catch(() => {})));
  open = [];
  chmodSync(dir, 0o755);
  rmSync(dir, { recursive: true, force: true });
});

async function openStore(file = join(dir, 'broker.lmdb'), writer = 'mqtt test'): Promise<DurableStore> {
  const s = await DurableStore.open({ file, writer });
  open.push(s);
  return s;
}
async function closeStore(s: DurableStore): Promise<void> {
  open = open.filter((o) => o !== s);
  await s.close();
}
async function openError(file: string): Promise<StoreError> {
  const err = await openStore(file).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(StoreError);
  const e = err as StoreError;
  // one line, naming the file
  expect(e.message).not.toContain('\n');
  expect(e.message).toContain(file);
  return e;
}

const message = (topic: string, payload: string, extra: Record<string, unknown> = {}) => ({ topic, payload: Buffer.from(payload), qos: 1 as const, retain: true, ...extra });

describe('durable store: records survive a reopen', () => {
  it('keeps retained messages with their v5 properties and absolute expiry; a delete removes one', async () => {
    const s = await openStore();
    expect(s.format.version).toBe(FORMAT_VERSION);
    const props = { contentType: 'text/plain', correlationData: Buffer.from([1, 2, 3]), userProperties: { a: 'b', c: ['d', 'e'] } };
    await Promise.all([
      s.putRetained(toStoredMessage(message('a/b', 'one', { properties: props, expiresAt: 4_000_000_000_000 }))),
      s.putRetained(toStoredMessage(message('a/c', 'two'))),
      s.putRetained(toStoredMessage(message('x', 'three'))),
    ]);
    await s.deleteRetained('x');
    await closeStore(s);

    const again = await openStore();
    const back = [...again.retained()].map(fromStoredMessage);
    expect(back.map((m) => [m.topic, m.payload.toString()])).toEqual([
      ['a/b', 'one'],
      ['a/c', 'two'],
    ]);
    expect(Buffer.isBuffer(back[0]!.payload)).toBe(true);
    expect(back[0]!.properties).toEqual(props);
    expect(Buffer.isBuffer(back[0]!.properties!.correlationData)).toBe(true);
    expect(back[0]!.expiresAt).toBe(4_000_000_000_000);
    expect(again.counts()).toEqual({ retained: 2, sessions: 0, queued: 0 });
  });

  it('keeps sessions with subscriptions, queue (in order), in-flight state both ways and wills; deleteSession removes all of it and nothing of another', async () => {
    const s = await openStore();
    for (const id of ['c1', 'c10', 'c']) {
      await s.putSession({ clientId: id, protocolVersion: 5, expiryInterval: 3600, disconnectedAt: 1000 });
      await s.putSubscription(id, { filter: 'a/#', qos: 2, noLocal: true, retainAsPublished: false, retainHandling: 1, subscriptionId: 7 });
      await s.putSubscription(id, { filter: '$share/g/b', qos: 1, noLocal: false, retainAsPublished: true, retainHandling: 0 });
      const keys = [];
      for (let i = 0; i < 5; i++) keys.push(s.enqueue(id, { message: toStoredMessage(message(`q/${i}`, `${id}-${i}`)), qos: 1, retain: false }));
      await Promise.all(keys.map((k) => k.written));
      await s.dequeue(keys[0]!.key);
      await s.putOutgoing(id, { packetId: 3, stage: 'pubcomp', seq: keys[1]!.key[1] });
      await s.putIncomingQos2(id, 9);
      await s.putWill(id, { message: toStoredMessage(message('will', 'gone')), sendAt: 5000 });
    }
    await closeStore(s);

    const again = await openStore();
    expect([...again.sessions()].map((r) => r.clientId)).toEqual(['c', 'c1', 'c10']);
    expect([...again.subscriptions('c1')].map((r) => r.filter)).toEqual(['$share/g/b', 'a/#']);
    expect([...again.subscriptions('c1')].find((r) => r.filter === 'a/#')).toMatchObject({ qos: 2, noLocal: true, retainHandling: 1, subscriptionId: 7 });
    // a client id that is a prefix of another never sees the other's records
    expect([...again.queued('c1')].map((q) => q.record.message.payload.toString())).toEqual(['c1-1', 'c1-2', 'c1-3', 'c1-4']);
    expect([...again.outgoing('c1')]).toMatchObject([{ packetId: 3, stage: 'pubcomp' }]);
    expect([...again.incomingQos2('c1')]).toEqual([9]);
    expect(again.will('c1')?.sendAt).toBe(5000);

    await again.deleteSession('c1');
    expect([...again.sessions()].map((r) => r.clientId)).toEqual(['c', 'c10']);
    expect([...again.subscriptions('c1')]).toEqual([]);
    expect([...again.queued('c1')]).toEqual([]);
    expect([...again.outgoing('c1')]).toEqual([]);
    expect([...again.incomingQos2('c1')]).toEqual([]);
    expect(again.will('c1')).toBeUndefined();
    expect([...again.queued('c10')]).toHaveLength(4);
    expect([...again.subscriptions('c')]).toHaveLength(2);
  });

  it('a queue continues in order after a restart (new records sort after the old ones)', async () => {
    const s = await openStore();
    await Promise.all([0, 1, 2].map((i) => s.enqueue('c', { message: toStoredMessage(message('t', `old-${i}`)), qos: 1, retain: false }).written));
    await closeStore(s);
    const again = await openStore();
    await Promise.all([0, 1].map((i) => again.enqueue('c', { message: toStoredMessage(message('t', `new-${i}`)), qos: 1, retain: false }).written));
    expect([...again.queued('c')].map((q) => q.record.message.payload.toString())).toEqual(['old-0', 'old-1', 'old-2', 'new-0', 'new-1']);
  });

  it('group commit: the writes of one event-loop turn share one transaction, each with its own promise', async () => {
    const s = await openStore();
    const env = (s as unknown as { env: { getStats(): { lastTxnId: number } } }).env;
    const before = env.getStats().lastTxnId;
    const writes = [];
    for (let i = 0; i < 1000; i++) writes.push(s.enqueue('c', { message: toStoredMessage(message('t', String(i))), qos: 1, retain: false }).written);
    await Promise.all(writes);
    expect(env.getStats().lastTxnId - before).toBeLessThanOrEqual(2);
    expect([...s.queued('c')]).toHaveLength(1000);
  });
});

describe('durable store: stores it must not use give one line naming the path', () => {
  it('random bytes', async () => {
    const file = join(dir, 'random.lmdb');
    writeFileSync(file, randomBytes(100_000));
    expect((await openError(file)).message).toMatch(/not a persistence store this broker wrote/);
    // and never started empty over it
    expect(statSync(file).size).toBe(100_000);
  });

  it('a few bytes', async () => {
    const file = join(dir, 'short.lmdb');
    writeFileSync(file, randomBytes(10));
    expect((await openError(file)).message).toMatch(/not a persistence store/);
  });

  it("Mosquitto's own mosquitto.db", async () => {
    const file = join(dir, 'mosquitto.db');
    writeFileSync(file, Buffer.concat([Buffer.from([0x00, 0xb5, 0x00]), Buffer.from('mosquitto db'), randomBytes(100)]));
    expect((await openError(file)).message).toMatch(/Mosquitto's own persistence file/);
  });

  it('a truncated store (the check runs in a child process: LMDB would crash this one)', async () => {
    const s = await openStore();
    await Promise.all(Array.from({ length: 3000 }, (_, i) => s.putRetained(toStoredMessage(message(`t/${i}`, 'x'.repeat(200))))));
    await closeStore(s);
    const file = join(dir, 'cut.lmdb');
    copyFileSync(join(dir, 'broker.lmdb'), file);
    truncateSync(file, Math.floor(statSync(file).size / 2));
    expect((await openError(file)).message).toMatch(/is corrupt/);
  });

  it('written by a newer version', async () => {
    const s = await openStore();
    await (s as unknown as { dbs: { meta: { put(k: string, v: unknown): Promise<void> } } }).dbs.meta.put('format', { version: FORMAT_VERSION + 1, writer: 'mqtt 9.0.0', created: 0 });
    await closeStore(s);
    const e = await openError(join(dir, 'broker.lmdb'));
    expect(e.message).toMatch(/written by a newer version \(mqtt 9\.0\.0, store format 2;/);
  });

  it('a directory it cannot write', async () => {
    if (process.getuid?.() === 0) {
      // root writes anywhere: a read-only place is a path under a file instead
      writeFileSync(join(dir, 'plain-file'), '');
      const e = await openError(join(dir, 'plain-file', 'broker.lmdb'));
      expect(e.message).toMatch(/cannot make the directory of/);
      return;
    }
    const ro = join(dir, 'ro');
    mkdirSync(ro);
    chmodSync(ro, 0o555);
    expect((await openError(join(ro, 'broker.lmdb'))).message).toMatch(/permission denied/);
  });
});

describe('durable store: a full disk', () => {
  it('a write that does not fit rejects with one line saying the disk is full, reported once; what was written before stays', async (ctx) => {
    const mnt = join(dir, 'small');
    mkdirSync(mnt);
    const { spawnSync } = await import('node:child_process');
    const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', mnt], { encoding: 'utf8' });
    if (mounted.status !== 0) {
      console.warn(`SKIPPED disk-full case: cannot mount a small tmpfs (${(mounted.stderr || String(mounted.error)).trim()})`);
      ctx.skip();
    }
    try {
      const s = await openStore(join(mnt, 'broker.lmdb'));
      const reported: StoreError[] = [];
      s.onWriteError = (e) => reported.push(e);
      await s.putRetained(toStoredMessage(message('kept', 'before')));
      let failure: unknown;
      for (let round = 0; round < 100 && !failure; round++) {
        const writes = Array.from({ length: 50 }, (_, i) => s.putRetained(toStoredMessage(message(`fill/${round}/${i}`, 'x'.repeat(2000)))));
        failure = await Promise.all(writes).then(() => undefined, (e: unknown) => e);
      }
      expect(failure).toBeInstanceOf(StoreError);
      expect((failure as Error).message).toMatch(/disk is full/);
      expect((failure as Error).message).toContain(mnt);
      expect(reported).toHaveLength(1);
      // later writes are refused at once with the same error
      await expect(s.putRetained(toStoredMessage(message('after', 'x')))).rejects.toBe(failure);
      await closeStore(s);
    } finally {
      spawnSync('umount', [mnt]);
    }
  });
});
