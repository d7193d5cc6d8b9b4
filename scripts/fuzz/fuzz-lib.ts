/**
 * Mutation fuzzing of an MQTT broker over real sockets, shared by the differential run against
 * Mosquitto (scripts/fuzz/differential.mjs) and the CI test (test/e2e/broker-fuzz.test.ts).
 *
 * A case is one valid packet of some type and version (a seed) changed in one way (a mutation),
 * sent on its own connection after a valid CONNECT (unless it is the CONNECT), followed by a
 * PINGREQ. The broker's reaction is one of: it closed the connection, it answered the PINGREQ
 * (it carried on), or neither within the deadline (it waits for bytes the packet announced).
 */
import net from 'node:net';
import mqttPacket, { type Packet } from 'mqtt-packet';

export type Version = 4 | 5;
export type Outcome = 'closed' | 'open' | 'silent';

export interface Seed {
  name: string;
  version: Version;
  bytes: Buffer;
  /** the seed is the CONNECT itself: no CONNECT is sent before it */
  isConnect: boolean;
}

export interface Case {
  index: number;
  seed: Seed;
  mutation: string;
  bytes: Buffer;
}

/** mulberry32: small, fast, and the same sequence for the same seed everywhere. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const gen = (packet: object, version: Version): Buffer => mqttPacket.generate(packet as Packet, { protocolVersion: version });

export function connectPacket(version: Version, clientId: string, extra: object = {}): Buffer {
  return gen({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: version, clientId, clean: true, keepalive: 60, ...extra }, version);
}

/** One valid packet of every type a client sends, for this version; `id` keeps client ids apart. */
export function seeds(version: Version, id: string): Seed[] {
  const v5 = version === 5;
  const pubProps = v5
    ? { payloadFormatIndicator: true, messageExpiryInterval: 30, contentType: 'text/plain', responseTopic: 'fz/r', correlationData: Buffer.from('cd'), userProperties: { k: 'v' } }
    : undefined;
  const ackProps = v5 ? { reasonString: 'why', userProperties: { k: 'v' } } : undefined;
  const list: Array<[string, object, boolean?]> = [
    [
      'CONNECT',
      {
        cmd: 'connect', protocolId: 'MQTT', protocolVersion: version, clientId: `fz-${id}`, clean: true, keepalive: 60,
        username: 'user', password: Buffer.from('pw'),
        will: { topic: 'fz/will', payload: Buffer.from('will'), qos: 1, retain: false, ...(v5 ? { properties: { willDelayInterval: 0, contentType: 'w', userProperties: { a: 'b' }, correlationData: Buffer.from('c') } } : {}) },
        ...(v5 ? { properties: { sessionExpiryInterval: 0, receiveMaximum: 10, maximumPacketSize: 100000, topicAliasMaximum: 5, requestProblemInformation: true, userProperties: { k: 'v' } } } : {}),
      },
      true,
    ],
    ['PUBLISH QoS 0', { cmd: 'publish', topic: 'fz/a', payload: Buffer.from('hello'), qos: 0, retain: false, dup: false, ...(v5 ? { properties: { ...pubProps, topicAlias: 1 } } : {}) }],
    ['PUBLISH QoS 1', { cmd: 'publish', topic: 'fz/b', payload: Buffer.from('hello'), qos: 1, messageId: 1, retain: false, dup: false, ...(v5 ? { properties: pubProps } : {}) }],
    ['PUBLISH QoS 2 retained', { cmd: 'publish', topic: 'fz/c', payload: Buffer.from('hello'), qos: 2, messageId: 2, retain: true, dup: false, ...(v5 ? { properties: pubProps } : {}) }],
    ['PUBACK', { cmd: 'puback', messageId: 1, ...(v5 ? { reasonCode: 0x10, properties: ackProps } : {}) }],
    ['PUBREC', { cmd: 'pubrec', messageId: 1, ...(v5 ? { reasonCode: 0x10, properties: ackProps } : {}) }],
    ['PUBREL', { cmd: 'pubrel', messageId: 1, ...(v5 ? { reasonCode: 0x92, properties: ackProps } : {}) }],
    ['PUBCOMP', { cmd: 'pubcomp', messageId: 1, ...(v5 ? { reasonCode: 0x92, properties: ackProps } : {}) }],
    [
      'SUBSCRIBE',
      {
        cmd: 'subscribe', messageId: 3,
        subscriptions: [{ topic: 'fz/a', qos: 1, ...(v5 ? { nl: true, rap: true, rh: 1 } : {}) }, { topic: 'fz/+/b', qos: 2, ...(v5 ? { nl: false, rap: false, rh: 0 } : {}) }],
        ...(v5 ? { properties: { subscriptionIdentifier: 5, userProperties: { k: 'v' } } } : {}),
      },
    ],
    ['UNSUBSCRIBE', { cmd: 'unsubscribe', messageId: 4, unsubscriptions: ['fz/a', 'fz/+/b'], ...(v5 ? { properties: { userProperties: { k: 'v' } } } : {}) }],
    ['PINGREQ', { cmd: 'pingreq' }],
    ['DISCONNECT', { cmd: 'disconnect', ...(v5 ? { reasonCode: 0, properties: { reasonString: 'bye', userProperties: { k: 'v' } } } : {}) }],
  ];
  if (v5) list.push(['AUTH', { cmd: 'auth', reasonCode: 0x18, properties: { authenticationMethod: 'm', authenticationData: Buffer.from('d') } }]);
  return list.map(([name, packet, isConnect]) => ({ name: `${name} v${version === 5 ? 5 : '3.1.1'}`, version, bytes: gen(packet, version), isConnect: !!isConnect }));
}

/** MQTT's variable byte integer [MQTT-1.5.5]; test/helpers/frames.ts builds on it too. */
export function varint(n: number): Buffer {
  const out: number[] = [];
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
  return Buffer.from(out);
}

function split(bytes: Buffer): { first: number; body: Buffer } {
  let i = 1;
  while (bytes[i]! & 0x80) i++;
  return { first: bytes[0]!, body: bytes.subarray(i + 1) };
}

const withBody = (first: number, body: Buffer) => Buffer.concat([Buffer.from([first]), varint(body.length), body]);
const INTERESTING = [0x00, 0x01, 0x7f, 0x80, 0xff, 0xfe, 0x26, 0x03, 0x0b, 0xc0, 0xed];

/** One mutation of a packet; the Remaining Length follows the new body except where the mutation is about it. */
export function mutate(bytes: Buffer, rnd: () => number): { bytes: Buffer; how: string } {
  const { first, body } = split(bytes);
  const at = (n: number) => Math.floor(rnd() * n);
  const pos = body.length > 0 ? at(body.length) : 0;
  const b = Buffer.from(body);
  switch (at(10)) {
    case 0: {
      if (!b.length) break;
      const bit = at(8);
      b[pos] = b[pos]! ^ (1 << bit);
      return { bytes: withBody(first, b), how: `flip bit ${bit} of body byte ${pos}` };
    }
    case 1: {
      if (!b.length) break;
      const v = INTERESTING[at(INTERESTING.length)]!;
      b[pos] = v;
      return { bytes: withBody(first, b), how: `body byte ${pos} = 0x${v.toString(16)}` };
    }
    case 2: {
      const v = at(256);
      return { bytes: withBody(first, Buffer.concat([b.subarray(0, pos), Buffer.from([v]), b.subarray(pos)])), how: `insert 0x${v.toString(16)} at ${pos}` };
    }
    case 3:
      if (!b.length) break;
      return { bytes: withBody(first, Buffer.concat([b.subarray(0, pos), b.subarray(pos + 1)])), how: `delete body byte ${pos}` };
    case 4:
      return { bytes: withBody(first, b.subarray(0, pos)), how: `truncate body to ${pos}` };
    case 5: {
      if (b.length < 2) break;
      const p = Math.min(pos, b.length - 2);
      const v = [0xffff, 0x0000, 0x8000, at(0x10000)][at(4)]!;
      b.writeUInt16BE(v, p);
      return { bytes: withBody(first, b), how: `body bytes ${p}-${p + 1} = 0x${v.toString(16)}` };
    }
    case 6: {
      const bit = at(8);
      return { bytes: withBody(first ^ (1 << bit), b), how: `flip bit ${bit} of the first byte` };
    }
    case 7: {
      if (!b.length) break;
      const len = 1 + at(Math.min(8, b.length - pos));
      const slice = b.subarray(pos, pos + len);
      return { bytes: withBody(first, Buffer.concat([b.subarray(0, pos + len), slice, b.subarray(pos + len)])), how: `repeat body bytes ${pos}..${pos + len - 1}` };
    }
    case 8: {
      // the Remaining Length alone, a little short: the next packet's bytes are read as this one's
      const cut = Math.max(0, b.length - 1 - at(3));
      return { bytes: Buffer.concat([Buffer.from([first]), varint(cut), b]), how: `Remaining Length ${cut} for ${b.length} body bytes` };
    }
    default:
      break;
  }
  // an empty body, or the ninth and tenth kinds: a length or identifier byte one higher
  if (!b.length) return { bytes: withBody(first, Buffer.from([0])), how: 'a zero byte as the body' };
  b[pos] = (b[pos]! + 1) & 0xff;
  return { bytes: withBody(first, b), how: `body byte ${pos} incremented` };
}

/** `count` cases, round robin over versions and seeds so every type gets its share, reproducible from `seed`. */
export function* cases(count: number, seed: number, runId: string): Generator<Case> {
  const rnd = prng(seed);
  for (let index = 0; index < count; index++) {
    const version: Version = index % 2 === 0 ? 4 : 5;
    const all = seeds(version, `${runId}-${index}`);
    const s = all[Math.floor(index / 2) % all.length]!;
    const m = mutate(s.bytes, rnd);
    yield { index, seed: s, mutation: m.how, bytes: m.bytes };
  }
}

const PINGREQ = Buffer.from([0xc0, 0x00]);

/**
 * Sends one case to a broker on 127.0.0.1:port and reports its reaction: 'open' when it answers
 * the PINGREQ that follows the packet, 'closed' when it closes first, 'silent' after `timeoutMs`.
 */
export function probe(port: number, c: Case, timeoutMs = 1500): Promise<Outcome> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let acc: Buffer = Buffer.alloc(0);
    let connected = c.seed.isConnect; // no CONNACK to wait for before the case is sent
    let settled = false;
    const finish = (o: Outcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(o);
    };
    const timer = setTimeout(() => finish('silent'), timeoutMs);
    socket.on('error', () => {});
    socket.on('close', () => finish('closed'));
    socket.on('connect', () => {
      if (c.seed.isConnect) socket.write(Buffer.concat([c.bytes, PINGREQ]));
      else socket.write(connectPacket(c.seed.version, `fzc-${c.index}-${process.pid}`));
    });
    socket.on('data', (d: Buffer) => {
      acc = acc.length ? Buffer.concat([acc, d]) : d;
      // whole packets only
      for (;;) {
        let i = 1;
        let len = 0;
        let mult = 1;
        for (; i < acc.length && i <= 4; i++) {
          len += (acc[i]! & 0x7f) * mult;
          mult *= 128;
          if ((acc[i]! & 0x80) === 0) break;
        }
        if (i >= acc.length || acc.length < i + 1 + len) return;
        const type = acc[0]! >> 4;
        acc = acc.subarray(i + 1 + len);
        if (!connected && type === 2) {
          connected = true;
          socket.write(Buffer.concat([c.bytes, PINGREQ]));
        } else if (connected && type === 13) {
          finish('open');
          return;
        }
      }
    });
  });
}

/** Runs `fn` over `items` with at most `jobs` at once. */
export async function pool<T>(items: Iterable<T>, jobs: number, fn: (item: T) => Promise<void>): Promise<void> {
  const it = items[Symbol.iterator]();
  const worker = async () => {
    for (let next = it.next(); !next.done; next = it.next()) await fn(next.value);
  };
  await Promise.all(Array.from({ length: jobs }, worker));
}
