import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { BrokerLog } from '../../src/broker/log.js';
import { encodePacket } from '../../src/core/protocol/codec.js';
import { startTestBroker } from '../helpers/broker.js';

describe('memory after a wave of disconnects (issue 10)', () => {
  it('a quiet broker collects what 1,200 connections that left behind, and not while they are there', async () => {
    const lines: string[] = [];
    let onLine = () => {};
    const log = new BrokerLog({ types: ['debug'], sinks: [{ write: (_t, _l, m) => (lines.push(m), onLine()) }] });
    const tb = await startTestBroker({ log });
    try {
      const n = 1200;
      const sockets: net.Socket[] = [];
      await Promise.all(
        Array.from({ length: n }, (_, i) =>
          new Promise<void>((resolve, reject) => {
            const s = net.connect(tb.port, '127.0.0.1');
            sockets.push(s);
            s.on('error', reject);
            s.write(encodePacket({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, keepalive: 60, clientId: `wave-${i}` }, 4));
            s.once('data', () => resolve());
          }),
        ),
      );
      expect(tb.broker.connectedCount).toBe(n);
      const released = /^Releasing the memory of (\d+) connections that have gone/;
      expect(lines.some((l) => released.test(l))).toBe(false);
      for (const s of sockets) s.destroy();
      // the sweep (once a second) sees the wave end, then collects
      const line = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no "Releasing the memory" line within 10 s; log: ${lines.slice(-5).join(' | ')}`)), 10_000);
        onLine = () => {
          const l = lines.find((x) => released.test(x));
          if (l) {
            clearTimeout(timer);
            resolve(l);
          }
        };
        onLine();
      });
      expect(Number(released.exec(line)![1])).toBeGreaterThanOrEqual(n);
      expect(tb.broker.clients.size).toBe(0);
    } finally {
      await tb.stop();
    }
  });
});
