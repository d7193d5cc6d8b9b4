import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js';
import { RawClient, startTestBroker } from '../helpers/broker.js';
import { connectBytes, frame, props, publishBytes, str, u16 } from '../helpers/frames.js';

/**
 * Malformed packets against `mqtt broker` as a real process (issue 10): each closes the connection
 * that sent it, with the v5 reason code, and nothing else. The broker process must outlive them all.
 */
const uid = () => Math.random().toString(36).slice(2, 10);
let broker: BrokerProcess;

beforeAll(async () => {
  broker = await startBrokerProcess();
});
afterAll(async () => {
  await broker?.stop();
});

function alive(): void {
  expect(broker.proc.proc.exitCode, `broker exited; stderr:\n${broker.proc.stderr}`).toBeNull();
  expect(broker.proc.stderr).not.toMatch(/MaxListenersExceededWarning|Internal error|TypeError/);
}

/** A subscriber on `topic` (QoS 1) that must see nothing until `marker` is published after the test's packets. */
async function watcher(topic: string, version: 4 | 5 = 5): Promise<RawClient> {
  const w = await RawClient.connect(broker.port, version);
  await w.handshake();
  w.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic, qos: 1 }] } as never);
  await w.next('suback');
  return w;
}

/** Publishes a marker on `topic` from a well-behaved client and expects it to be the watcher's first message. */
async function expectOnlyMarker(w: RawClient, topic: string): Promise<void> {
  const good = await RawClient.connect(broker.port, 4);
  await good.handshake();
  good.send({ cmd: 'publish', topic, payload: Buffer.from('marker'), qos: 0, retain: false, dup: false } as never);
  const first = await w.next('publish');
  expect(first.payload.toString()).toBe('marker');
  good.end();
}

/** Raw socket: writes bytes, collects what comes back, resolves when the broker closes it. */
function rawExchange(bytes: Buffer[], timeoutMs = 5000): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const s = net.connect(broker.port, '127.0.0.1');
    const got: Buffer[] = [];
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error(`broker did not close the connection within ${timeoutMs} ms; received ${Buffer.concat(got).toString('hex')}`));
    }, timeoutMs);
    s.on('data', (d) => got.push(d));
    s.on('error', () => {});
    s.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(got));
    });
    s.on('connect', () => {
      for (const b of bytes) s.write(b);
    });
  });
}

const pingreq = Buffer.from([0xc0, 0x00]);

describe('broker: a malformed packet closes its connection, never the broker', () => {
  it('v5 CONNECT whose will user property runs past the packet is refused; the will never exists (was: process exit 1)', async () => {
    const topic = `crash/${uid()}`;
    const w = await watcher(topic);
    for (const overrun of [
      props(Buffer.from([0x26, 0xff, 0xff, 0x61, 0x62])), // user property name of 65,535 bytes, 2 present
      props(Buffer.from([0x26, 0x00, 0x01, 0x61, 0xff, 0xff])), // its value
      props(Buffer.from([0x03, 0xff, 0xff, 0x61])), // content type
      props(Buffer.from([0x09, 0x00, 0x09, 0x61])), // correlation data
    ]) {
      const bytes = connectBytes({ version: 5, clientId: `evil-${uid()}`, will: { topic, payload: Buffer.from('bye'), properties: overrun } });
      // no CONNACK: a CONNECT that does not parse is closed on [MQTT-3.1.4-1], as Mosquitto does
      expect((await rawExchange([bytes])).length).toBe(0);
    }
    await expectOnlyMarker(w, topic);
    w.send({ cmd: 'pingreq' } as never);
    await w.next('pingresp');
    w.end();
    alive();
  });

  it('v5 PUBLISH whose property runs past the packet gets DISCONNECT 0x81 and is neither routed nor retained', async () => {
    const topic = `overrun/${uid()}`;
    const w = await watcher(topic);
    for (const [qos, p] of [
      [1, props(Buffer.from([0x26, 0x00, 0x01, 0x61, 0xff, 0xff]))],
      [0, props(Buffer.from([0x08, 0x7f, 0xff, 0x61]))],
      [2, props(Buffer.from([0x02, 0x00, 0x00]))], // message expiry: 2 of its 4 bytes
    ] as const) {
      const c = await RawClient.connect(broker.port, 5);
      await c.handshake();
      c.sendBytes(publishBytes({ qos, retain: true, topic, id: 7, properties: p, payload: Buffer.from('x') }));
      expect((await c.next('disconnect')).reasonCode).toBe(0x81);
      await c.waitClosed();
    }
    // a later v5 subscriber of the topic gets no retained copy and is not disconnected
    const late = await RawClient.connect(broker.port, 5);
    await late.handshake();
    late.send({ cmd: 'subscribe', messageId: 2, subscriptions: [{ topic, qos: 1 }] } as never);
    await late.next('suback');
    late.send({ cmd: 'pingreq' } as never);
    await late.next('pingresp');
    expect(late.packets.filter((p) => p.cmd === 'publish')).toHaveLength(0);
    late.end();
    await expectOnlyMarker(w, topic);
    w.end();
    alive();
  });

  it('ill-formed UTF-8 in a string is malformed [MQTT-1.5.4-1]: v5 DISCONNECT 0x81, 3.1.1 closed', async () => {
    const topic = `utf8/${uid()}`;
    const w = await watcher(topic);
    for (const version of [4, 5] as const) {
      const c = await RawClient.connect(broker.port, version);
      await c.handshake();
      // a truncated 4-byte sequence that Node would have turned into U+FFFD
      c.sendBytes(frame(0x30, str(Buffer.concat([Buffer.from(`${topic}/`), Buffer.from([0xf0, 0x9f, 0x98])])), ...(version === 5 ? [props()] : [])));
      if (version === 5) expect((await c.next('disconnect')).reasonCode).toBe(0x81);
      await c.waitClosed();
    }
    await expectOnlyMarker(w, topic);
    w.end();
    alive();
  });

  it('[MQTT-2.2.1-3] QoS 1/2 PUBLISH without a packet identifier is malformed (0x81); with identifier 0 a protocol error (0x82)', async () => {
    const topic = `noid/${uid()}`;
    const w = await watcher(topic);
    for (const version of [4, 5] as const) {
      for (const qos of [1, 2]) {
        // Remaining Length ends with the topic: no room for the packet identifier
        const c = await RawClient.connect(broker.port, version);
        await c.handshake();
        c.sendBytes(frame(0x30 | (qos << 1), str(topic)));
        if (version === 5) expect((await c.next('disconnect')).reasonCode).toBe(0x81);
        await c.waitClosed();
        const z = await RawClient.connect(broker.port, version);
        await z.handshake();
        z.sendBytes(publishBytes({ qos, topic, id: 0, properties: version === 5 ? props() : undefined, payload: Buffer.from('id0') }));
        if (version === 5) expect((await z.next('disconnect')).reasonCode).toBe(0x82);
        await z.waitClosed();
        expect(z.packets.filter((p) => p.cmd === 'puback' || p.cmd === 'pubrec')).toHaveLength(0);
      }
    }
    await expectOnlyMarker(w, topic);
    w.end();
    alive();
  });

  it('a v5 property that may appear once, given twice, is a protocol error 0x82 (3.3.2.3.9, 3.8.2.1.2, 3.1.2.11.2)', async () => {
    const topic = `twice/${uid()}`;
    const w = await watcher(topic);
    const contentType = (s: string) => Buffer.concat([Buffer.from([0x03]), str(s)]);
    const c = await RawClient.connect(broker.port, 5);
    await c.handshake();
    c.sendBytes(publishBytes({ topic, properties: props(contentType('a'), contentType('b')), payload: Buffer.from('twice') }));
    expect((await c.next('disconnect')).reasonCode).toBe(0x82);
    await c.waitClosed();

    const s = await RawClient.connect(broker.port, 5);
    await s.handshake();
    s.sendBytes(frame(0x82, u16(1), props(Buffer.from([0x0b, 1, 0x0b, 2])), str(topic), Buffer.from([0])));
    expect((await s.next('disconnect')).reasonCode).toBe(0x82);
    await s.waitClosed();

    const expiry = Buffer.from([0x11, 0, 0, 0, 10]);
    expect((await rawExchange([connectBytes({ version: 5, clientId: `twice-${uid()}`, properties: props(expiry, expiry) })])).length).toBe(0);
    // User Property may repeat: that one is forwarded, every pair in order
    const u = await RawClient.connect(broker.port, 5);
    await u.handshake();
    const up = (k: string, v: string) => Buffer.concat([Buffer.from([0x26]), str(k), str(v)]);
    u.sendBytes(publishBytes({ topic, properties: props(up('k', '1'), up('k', '2')), payload: Buffer.from('marker') }));
    const got = await w.next('publish');
    expect(got.payload.toString()).toBe('marker');
    u.end();
    w.end();
    alive();
  });

  it('after the first protocol error nothing more from that connection is acted on, even in the same read', async () => {
    for (const version of [4, 5] as const) {
      const topic = `after/${uid()}`;
      const w = await watcher(topic);
      const routed = publishBytes({ topic, payload: Buffer.from('must not be routed'), properties: version === 5 ? props() : undefined });
      const errors = [
        publishBytes({ topic: `${topic}/+`, properties: version === 5 ? props() : undefined }), // wildcard in a topic name [MQTT-3.3.2-2]
        frame(0x82, u16(0), ...(version === 5 ? [props()] : []), str(topic), Buffer.from([0])), // SUBSCRIBE id 0
        connectBytes({ version, clientId: 'again' }), // a second CONNECT [MQTT-3.1.0-2]
      ];
      for (const bad of errors) {
        const c = await RawClient.connect(broker.port, version);
        await c.handshake();
        // the error, then a routable PUBLISH and 30 more errors, in one write
        c.sendBytes(Buffer.concat([bad, routed, ...Array.from({ length: 30 }, () => bad)]));
        await c.waitClosed();
        expect(c.packets.filter((p) => p.cmd === 'disconnect').length).toBeLessThanOrEqual(1);
      }
      await expectOnlyMarker(w, topic);
      w.end();
    }
    alive();
  });

  it('a v5 DISCONNECT with surplus bytes, or a 3.1.1 one with any, is a protocol error: the will is published', async () => {
    for (const version of [4, 5] as const) {
      const topic = `disc/${uid()}`;
      const w = await watcher(topic);
      const bytes = connectBytes({ version, clientId: `disc-${uid()}`, will: { topic, payload: Buffer.from('will') } });
      const disconnect = version === 5 ? frame(0xe0, Buffer.from([0]), props(), Buffer.from([1])) : frame(0xe0, Buffer.from([0]));
      await rawExchange([bytes, disconnect]);
      expect((await w.next('publish')).payload.toString()).toBe('will');
      w.end();
    }
    alive();
  });

  it('the broker still serves after all of the above', async () => {
    const topic = `end/${uid()}`;
    const w = await watcher(topic, 4);
    await expectOnlyMarker(w, topic);
    w.end();
    const c = await rawExchange([connectBytes({ version: 4, clientId: `last-${uid()}` }), pingreq, Buffer.from([0xe0, 0])]);
    expect(c.subarray(0, 4)).toEqual(Buffer.from([0x20, 2, 0, 0]));
    expect(c.subarray(4)).toEqual(Buffer.from([0xd0, 0]));
    alive();
  });
});

describe('broker: an exception on one client\'s behalf ends that connection, never the process', () => {
  it('a handler that throws (here an ACL hook) disconnects that client with 0x80; others carry on', async () => {
    const tb = await startTestBroker({
      hooks: {
        authorizePublish: (_c, topic) => {
          if (topic === 'boom') throw new TypeError('hook bug');
          return true;
        },
      },
    });
    try {
      const w = await RawClient.connect(tb.port, 5);
      await w.handshake();
      w.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'fine', qos: 0 }] } as never);
      await w.next('suback');
      const c = await RawClient.connect(tb.port, 5);
      await c.handshake();
      c.send({ cmd: 'publish', topic: 'boom', payload: Buffer.from('x'), qos: 0, retain: false, dup: false } as never);
      expect((await c.next('disconnect')).reasonCode).toBe(0x80);
      await c.waitClosed();
      const p = await RawClient.connect(tb.port, 4);
      await p.handshake();
      p.send({ cmd: 'publish', topic: 'fine', payload: Buffer.from('still here'), qos: 0, retain: false, dup: false } as never);
      expect((await w.next('publish')).payload.toString()).toBe('still here');
      p.end();
      w.end();
    } finally {
      await tb.stop();
    }
  });

  it('a throw while publishing a will from the socket close handler is contained; the broker carries on', async () => {
    let thrown!: () => void;
    const threw = new Promise<void>((r) => (thrown = r));
    const tb = await startTestBroker({
      hooks: {
        authorizeRead: (_s, topic) => {
          if (topic === 'will/boom') {
            thrown();
            throw new TypeError('hook bug in the close path');
          }
          return true;
        },
      },
    });
    try {
      const w = await RawClient.connect(tb.port, 5);
      await w.handshake();
      w.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'will/#', qos: 0 }] } as never);
      await w.next('suback');
      const dying = await RawClient.connect(tb.port, 4);
      await dying.handshake({ will: { topic: 'will/boom', payload: Buffer.from('w'), qos: 0, retain: false } } as never);
      dying.end();
      await dying.waitClosed();
      // the broker's close handler publishes the will, and the hook throws there
      await threw;
      const p = await RawClient.connect(tb.port, 4);
      await p.handshake();
      p.send({ cmd: 'publish', topic: 'will/after', payload: Buffer.from('after'), qos: 0, retain: false, dup: false } as never);
      expect((await w.next('publish')).payload.toString()).toBe('after');
      p.end();
      w.end();
    } finally {
      await tb.stop();
    }
  });
});
