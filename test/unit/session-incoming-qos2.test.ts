import { describe, expect, it } from 'vitest';
import { IncomingQos2 } from '../../src/core/session/incoming-qos2.js';

describe('IncomingQos2 (routed at PUBLISH, as the broker does)', () => {
  it('[MQTT-4.3.3-8] [MQTT-4.3.3-10] a new id is delivered once; a resend before PUBREL is not', () => {
    const q = new IncomingQos2();
    expect(q.receive(5)).toBe(true);
    expect(q.has(5)).toBe(true);
    expect(q.receive(5)).toBe(false);
    expect(q.size).toBe(1);
  });

  it('[MQTT-4.3.3-11] [MQTT-4.3.3-12] PUBREL forgets the id: the same id afterwards is a new message', () => {
    const q = new IncomingQos2();
    q.receive(5);
    expect(q.release(5)).toBeNull();
    expect(q.has(5)).toBe(false);
    expect(q.receive(5)).toBe(true);
  });

  it('PUBREL for an unknown id says so (v5 PUBCOMP 0x92)', () => {
    const q = new IncomingQos2();
    expect(q.release(9)).toBeUndefined();
    q.receive(1);
    expect(q.release(9)).toBeUndefined();
  });

  it('[MQTT-4.1.0-1] clear: no session present, the ids are forgotten', () => {
    const q = new IncomingQos2();
    q.receive(1);
    q.receive(2);
    q.clear();
    expect(q.size).toBe(0);
    expect(q.receive(1)).toBe(true);
  });

  it('costs no map until the first QoS 2 message', () => {
    const q = new IncomingQos2();
    expect(q.size).toBe(0);
    expect(q.has(1)).toBe(false);
    expect(q.release(1)).toBeUndefined();
    expect((q as unknown as { ids?: unknown }).ids).toBeUndefined();
  });
});

describe('IncomingQos2 holding messages until PUBREL (as the client does)', () => {
  it('PUBREL hands over the held message once', () => {
    const q = new IncomingQos2<string>();
    q.receive(1, 'first');
    expect(q.release(1)).toBe('first');
    expect(q.release(1)).toBeUndefined();
  });

  it('[MQTT-4.3.3-10] a resend replaces a held copy, but one already taken is never delivered again', () => {
    const q = new IncomingQos2<string>();
    q.receive(1, 'copy-1');
    expect(q.receive(1, 'copy-2')).toBe(false);
    const taken: string[] = [];
    q.takeHeld((m) => taken.push(m));
    expect(taken).toEqual(['copy-2']);
    expect(q.receive(1, 'copy-3')).toBe(false);
    q.takeHeld((m) => taken.push(m));
    expect(taken).toEqual(['copy-2']);
    expect(q.release(1)).toBeNull();
  });

  it('takeHeld gives the held messages oldest first and keeps their ids waiting for PUBREL', () => {
    const q = new IncomingQos2<string>();
    q.receive(3, 'a');
    q.receive(1, 'b');
    q.receive(2, 'c');
    q.release(1);
    const taken: string[] = [];
    q.takeHeld((m) => taken.push(m));
    expect(taken).toEqual(['a', 'c']);
    expect([...q.keys()]).toEqual([3, 2]);
  });
});
