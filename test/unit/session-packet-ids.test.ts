import { describe, expect, it } from 'vitest';
import { PacketIdAllocator } from '../../src/core/session/packet-ids.js';

describe('PacketIdAllocator', () => {
  it('[MQTT-2.2.1-3] hands out non-zero ids not in use, wrapping after 65535', () => {
    const ids = new PacketIdAllocator();
    expect(ids.allocate()).toBe(1);
    expect(ids.allocate()).toBe(2);
    ids.release(1);
    for (let i = 3; i <= 65535; i++) expect(ids.allocate()).toBe(i);
    // 2 is still in use: the wrap skips it
    expect(ids.allocate()).toBe(1);
    expect(() => ids.allocate()).toThrow(/no free packet identifier/);
    ids.release(40000);
    expect(ids.allocate()).toBe(40000);
  });

  it('skip numbers a QoS 0 publish without reserving it (libmosquitto counts them too)', () => {
    const ids = new PacketIdAllocator();
    expect(ids.skip()).toBe(1);
    expect(ids.allocate()).toBe(2);
    expect(ids.inUse).toBe(1);
  });
});
