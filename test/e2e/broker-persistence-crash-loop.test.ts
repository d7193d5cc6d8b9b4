import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Packet } from 'mqtt-packet';
import { describe, expect, it } from 'vitest';
import type { ProtocolVersion } from '../../src/core/protocol/types.js';
import { RawClient } from '../helpers/broker.js';
import { endedAfterEach, startPersistBroker, stopPersistBroker } from '../helpers/persist-broker.js';

// The crash loop of issue 12: a QoS 1 and a QoS 2 publisher and two persistent-session
// subscribers under load, one online through the crashes and one offline (everything queues for
// it); the broker (`--persist`, durable mode) is killed with kill -9 CRASHES times, each time after
// a random number of acknowledgements, and started again on the same store. The clients behave as
// real ones do across a reconnect to their session [MQTT-4.4.0-1]: publishers resend what was not
// acknowledged (PUBLISH with DUP, or PUBREL once PUBREC had come) under the same packet id, a
// subscriber remembers the QoS 2 ids it answered PUBREC until their PUBREL [MQTT-4.3.3-9]. At the
// end every message a publisher got PUBACK/PUBCOMP for has reached both subscribers, and no QoS 2
// message twice. Packet-level clients, so what is counted is exactly what crossed the wire.

const CRASHES = Number(process.env.MQTT_CRASH_LOOP_CRASHES ?? 20);
/** messages each publisher keeps in flight */
const WINDOW = 20;
const TOPIC = 'crash/t';

const { dirs, procs, clients } = endedAfterEach();

async function rawConnect(port: number, version: ProtocolVersion, clientId: string): Promise<{ c: RawClient; present: boolean }> {
  const c = await RawClient.connect(port, version);
  clients.push(c);
  const connack = await c.handshake({ clientId, clean: false, keepalive: 60, ...(version === 5 ? { properties: { sessionExpiryInterval: 3600, receiveMaximum: 100 } } : {}) });
  const rc = connack.returnCode ?? connack.reasonCode ?? 0;
  if (rc !== 0) throw new Error(`${clientId}: CONNACK ${rc}`);
  return { c, present: connack.sessionPresent };
}

/** A publisher with a persistent session: WINDOW messages in flight, resent on each reconnect. */
class Publisher {
  private c?: RawClient;
  private readonly inflight = new Map<number, { payload: string; stage: 'publish' | 'pubrel' }>();
  private nextId = 1;
  private n = 0;
  producing = true;
  readonly acked = new Set<string>();
  published = 0;

  constructor(
    readonly qos: 1 | 2,
    readonly version: ProtocolVersion,
    readonly clientId: string,
    private readonly onAck: () => void,
  ) {}

  get pending(): number {
    return this.inflight.size;
  }

  async connect(port: number): Promise<void> {
    const { c } = await rawConnect(port, this.version, this.clientId);
    this.c = c;
    c.socket.on('data', () => this.read(c));
    // the session may be new only on the first connect; resending all the same is what a client does
    for (const [id, f] of this.inflight) {
      if (f.stage === 'publish') c.send(this.publishPacket(id, f.payload, true));
      else c.send({ cmd: 'pubrel', messageId: id } as Packet);
    }
    this.read(c);
    this.pump();
  }

  private publishPacket(id: number, payload: string, dup: boolean): Packet {
    return { cmd: 'publish', topic: TOPIC, payload: Buffer.from(payload), qos: this.qos, messageId: id, dup, retain: false } as Packet;
  }

  private pump(): void {
    const c = this.c;
    while (this.producing && c && !c.closed && this.inflight.size < WINDOW) {
      while (this.inflight.has(this.nextId)) this.nextId = (this.nextId % 65535) + 1;
      const id = this.nextId;
      const payload = `q${this.qos}-${this.n++}`;
      this.inflight.set(id, { payload, stage: 'publish' });
      this.published++;
      c.send(this.publishPacket(id, payload, false));
    }
  }

  private read(c: RawClient): void {
    for (const p of c.packets.splice(0)) {
      const id = (p as { messageId?: number }).messageId!;
      const f = this.inflight.get(id);
      if (p.cmd === 'pubrec' && f) {
        f.stage = 'pubrel';
        c.send({ cmd: 'pubrel', messageId: id } as Packet);
      } else if ((p.cmd === 'puback' || p.cmd === 'pubcomp') && f) {
        // a PUBACK failure would mean the message was refused. PUBCOMP ends the flow whatever its
        // code: 0x92 (id not found) answers a PUBREL resent after the broker had completed it
        // (PUBCOMP lost in the crash); PUBREC had already made the message the broker's
        if (p.cmd === 'puback' && ((p as { reasonCode?: number }).reasonCode ?? 0) >= 0x80) throw new Error(`${this.clientId}: PUBACK ${id} with reason code ${(p as { reasonCode?: number }).reasonCode}`);
        this.inflight.delete(id);
        this.acked.add(f.payload);
        this.onAck();
      }
    }
    this.pump();
  }
}

/** The subscriber's side of its session: delivers QoS 2 once per id until PUBREL, acknowledges everything. */
class Subscriber {
  private c?: RawClient;
  private readonly awaitingPubrel = new Set<number>();
  readonly received = new Map<string, number>();
  onPublish: (payload: string) => void = () => {};

  constructor(
    readonly version: ProtocolVersion,
    readonly clientId: string,
  ) {}

  async connect(port: number, subscribe: boolean): Promise<void> {
    const { c, present } = await rawConnect(port, this.version, this.clientId);
    // its session must survive every crash
    if (!subscribe && !present) throw new Error(`${this.clientId}: session not present after restart`);
    this.c = c;
    c.socket.on('data', () => this.read(c));
    if (subscribe) {
      c.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'crash/#', qos: 2 }] } as Packet);
      await c.next('suback', 10_000);
    }
    this.read(c);
  }

  disconnect(): void {
    this.c?.send({ cmd: 'disconnect' } as Packet);
    this.c?.socket.end();
  }

  private read(c: RawClient): void {
    for (const p of c.packets.splice(0)) {
      if (p.cmd === 'publish') {
        const payload = p.payload.toString();
        if (p.qos === 1) c.send({ cmd: 'puback', messageId: p.messageId } as Packet);
        if (p.qos === 2) {
          c.send({ cmd: 'pubrec', messageId: p.messageId } as Packet);
          // a PUBLISH with an id still waiting for PUBREL is a resend [MQTT-4.3.3-9]
          if (this.awaitingPubrel.has(p.messageId!)) continue;
          this.awaitingPubrel.add(p.messageId!);
        }
        this.received.set(payload, (this.received.get(payload) ?? 0) + 1);
        this.onPublish(payload);
      } else if (p.cmd === 'pubrel') {
        this.awaitingPubrel.delete(p.messageId!);
        c.send({ cmd: 'pubcomp', messageId: p.messageId } as Packet);
      } else if (p.cmd === 'suback') {
        c.packets.push(p);
        return;
      }
    }
  }
}

/** Resolves once `pred` holds, checked after every acknowledgement or delivery (`poke`). */
function until(pred: () => boolean, what: () => string, ms: number): { promise: Promise<void>; poke: () => void } {
  let poke = () => {};
  const promise = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what()}`)), ms);
    poke = () => {
      if (pred()) {
        clearTimeout(timer);
        resolve();
      }
    };
    poke();
  });
  return { promise, poke };
}

describe(`crash loop: ${CRASHES} x kill -9 under QoS 1 and QoS 2 load`, () => {
  it('every acknowledged message reaches both persistent subscribers, the one online through the crashes and the one offline, and no QoS 2 message twice', async () => {
    const started = Date.now();
    const dir = mkdtempSync(path.join(tmpdir(), 'mqtt-crash-'));
    dirs.push(dir);
    // max_queued_messages 0: no bound, so that all the offline subscriber's messages wait for it
    const conf = path.join(dir, 'broker.conf');
    writeFileSync(conf, 'allow_anonymous true\nmax_queued_messages 0\n');
    let wake = () => {};
    const poke = () => wake();
    // 3.1.1 and 5 both take part: the QoS 1 publisher and the offline subscriber speak 3.1.1. Both
    // subscribers share the brokers (and the 21 start-ups the loop costs)
    const pubs = [new Publisher(1, 4, 'crash-q1', poke), new Publisher(2, 5, 'crash-q2', poke)];
    const online = new Subscriber(5, 'crash-sub-online');
    const offline = new Subscriber(4, 'crash-sub-offline');
    online.onPublish = offline.onPublish = poke;
    const ackedCount = () => pubs.reduce((n, p) => n + p.acked.size, 0);
    const allAcked = () => pubs.flatMap((p) => [...p.acked]);

    for (let round = 0; round <= CRASHES; round++) {
      const b = await startPersistBroker(dir, { single: true, args: ['-c', conf] });
      procs.push(b.proc);
      const up = Date.now();
      await online.connect(b.port, round === 0);
      if (round === 0) {
        await offline.connect(b.port, true);
        offline.disconnect();
      }
      if (round === CRASHES) {
        // the last start: publishers finish what they have in flight, nothing new; the offline subscriber comes back
        for (const p of pubs) p.producing = false;
        await Promise.all([...pubs.map((p) => p.connect(b.port)), offline.connect(b.port, false)]);
        const done = until(
          () => pubs.every((p) => p.pending === 0) && allAcked().every((k) => online.received.has(k) && offline.received.has(k)),
          () =>
            `all acknowledged and delivered: in flight ${pubs.map((p) => p.pending)}, acknowledged ${ackedCount()}, received ${online.received.size} online, ${offline.received.size} offline; ` +
            `missing online ${allAcked().filter((k) => !online.received.has(k)).slice(0, 5)}, offline ${allAcked().filter((k) => !offline.received.has(k)).slice(0, 5)}`,
          30_000,
        );
        wake = done.poke;
        await done.promise;
        await stopPersistBroker(b.proc, 'SIGTERM');
        procs.splice(procs.indexOf(b.proc), 1);
        break;
      }
      await Promise.all(pubs.map((p) => p.connect(b.port)));
      // the crash comes after a random number of acknowledgements (the test's input): at a random
      // moment of the load, with messages in every stage of their flows
      const target = ackedCount() + 10 + Math.floor(Math.random() * 90);
      const load = until(() => ackedCount() >= target, () => `${target} acknowledgements (have ${ackedCount()})`, 20_000);
      wake = load.poke;
      await load.promise;
      if (process.env.MQTT_CRASH_LOOP_TRACE) console.log(`round ${round} ${Date.now() - started} ms (up ${Date.now() - up} ms) acked ${ackedCount()} received ${online.received.size}`);
      process.kill(b.proc.proc.pid!, 'SIGKILL');
      await b.proc.done;
      procs.splice(procs.indexOf(b.proc), 1);
    }

    const acked = allAcked();
    const published = pubs.reduce((n, p) => n + p.published, 0);
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    for (const [name, sub] of [
      ['online', online],
      ['offline', offline],
    ] as const) {
      const delivered = acked.filter((k) => sub.received.has(k)).length;
      const dup1 = [...sub.received].filter(([k, n]) => k.startsWith('q1-') && n > 1).length;
      const dup2 = [...sub.received].filter(([k, n]) => k.startsWith('q2-') && n > 1).length;
      // the figures for the closing note
      console.log(
        `crash loop (${CRASHES} x kill -9, ${seconds} s), subscriber ${name}: published ${published}, acknowledged ${acked.length} ` +
          `(QoS 1 ${pubs[0]!.acked.size}, QoS 2 ${pubs[1]!.acked.size}), delivered ${delivered}, lost ${acked.length - delivered}, duplicates QoS 1 ${dup1} (allowed) / QoS 2 ${dup2}`,
      );
      expect(delivered, name).toBe(acked.length);
      expect(dup2, name).toBe(0);
    }
    expect(acked.length).toBe(published);
  }, 120_000);
});
