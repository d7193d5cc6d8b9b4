import { describe, expect, it } from 'vitest';
import type { BrokerMessage, SourceListener } from '../../src/broker/message.js';
import { RetainedStore } from '../../src/broker/retained-store.js';
import { storedSource, toStoredMessage, type StoredMessage } from '../../src/broker/persistence/records.js';

/** check_retain_source: a retained message's source, kept in memory and in the store. */

const msg = (topic: string, senderId?: string): BrokerMessage => ({ topic, payload: Buffer.from('x'), qos: 0, retain: true, senderId });
const LISTENER: SourceListener = { port: 1883 };
const byPort = new Map([[1883, LISTENER]]);

describe('RetainedStore keeps who published each message', () => {
  it('with the message; a new message on the topic replaces it, a delete clears it', () => {
    const store = new RetainedStore();
    store.set(msg('a', 'c1'), 'alice', LISTENER);
    expect([...store.entries('a', 0)].map((e) => [e.message.senderId, e.username, e.listener])).toEqual([['c1', 'alice', LISTENER]]);
    store.set(msg('a'));
    expect([...store.entries('a', 0)].map((e) => [e.username, e.listener])).toEqual([[undefined, undefined]]);
    store.set({ ...msg('a'), payload: Buffer.alloc(0) });
    expect([...store.entries('#', 0)]).toEqual([]);
  });
});

describe('the stored source', () => {
  it('round-trips a client: username and listener, found again by port', () => {
    const s = toStoredMessage(msg('a', 'c1'), { username: 'alice', listener: LISTENER });
    expect(s.source).toEqual({ username: 'alice', port: 1883 });
    expect(storedSource(s, byPort)).toEqual({ username: 'alice', listener: LISTENER });
  });

  it('a listener no longer configured (another port): none known (null), as Mosquitto', () => {
    const s = toStoredMessage(msg('a', 'c1'), { username: undefined, listener: { port: 1999 } });
    expect(storedSource(s, byPort)).toEqual({ username: undefined, listener: null });
  });

  it("the broker's own or a bridge's message: stored as false, never checked", () => {
    const s = toStoredMessage(msg('a', 'bridge'), { username: undefined, listener: undefined });
    expect(s.source).toBe(false);
    expect(storedSource(s, byPort).listener).toBeUndefined();
  });

  it('a record written before sources were kept: its client id only, read as a client without username on no listener (fail closed)', () => {
    const old: StoredMessage = { topic: 'a', payload: Buffer.from('x'), qos: 0, retain: true, senderId: 'c1' };
    expect(storedSource(old, byPort)).toEqual({ username: undefined, listener: null });
    const noSender: StoredMessage = { topic: 'a', payload: Buffer.from('x'), qos: 0, retain: true };
    expect(storedSource(noSender, byPort).listener).toBeUndefined();
  });

  it('a will carries its own source into the store', () => {
    const will = { ...msg('w', 'c1'), willSource: { username: 'bob', listener: LISTENER } };
    expect(toStoredMessage(will).source).toEqual({ username: 'bob', port: 1883 });
    expect(toStoredMessage(msg('q', 'c1')).source).toBeUndefined();
  });
});
