import type { Broker } from './broker.js';
import type { BrokerMessage } from './message.js';
import { SessionState } from './session.js';

/** Mosquitto's $SYS messages: QoS 2, retained, expiring after 60 s (all but the version). */
const SYS_QOS = 2;
const SYS_EXPIRY = 60;

/** The load averages Mosquitto publishes, with the counter each one is the rate of. */
const LOADS = [
  ['messages/received', 'messagesReceived'],
  ['messages/sent', 'messagesSent'],
  ['publish/dropped', 'publishDropped'],
  ['publish/received', 'publishReceived'],
  ['publish/sent', 'publishSent'],
  ['bytes/received', 'bytesReceived'],
  ['bytes/sent', 'bytesSent'],
  ['sockets', 'socketsAccepted'],
  ['connections', 'connections'],
] as const;

type Counter = (typeof LOADS)[number][1];
const PERIODS = [
  ['1min', 60],
  ['5min', 300],
  ['15min', 900],
] as const;

/**
 * The $SYS/broker tree exactly as Mosquitto 2.0 publishes it (src/sys_tree.c): the same topics,
 * in the same order, with the same formats, so that dashboards built for Mosquitto read it
 * unchanged. The version once at start; the uptime every sys_interval seconds; every other value
 * only when it changed since the last update. Load averages are Mosquitto's: per-minute rates
 * over the last interval, smoothed exponentially over 1, 5 and 15 minutes, published when they
 * move by 0.01 or more.
 */
export class SysTopics {
  private timer?: NodeJS.Timeout;
  private readonly last = new Map<string, string>();
  private lastUpdate = 0;
  private clientsMaximum = 0;
  private heapMaximum = 0;
  private readonly previous = new Map<Counter, number>();
  private readonly loads = new Map<string, number>();

  constructor(
    private readonly broker: Broker,
    private readonly version: string,
  ) {}

  start(intervalSeconds: number): void {
    if (intervalSeconds <= 0) return;
    this.send('$SYS/broker/version', `mqtt-toolkit version ${this.version}`, 0);
    this.update();
    this.timer = setInterval(() => this.update(), intervalSeconds * 1000);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** The counters the load averages are rates of, cumulative since start. */
  private counters(): Record<Counter, number> {
    const { stats } = this.broker;
    const bytes = this.broker.byteCounts();
    return {
      messagesReceived: stats.messagesReceived,
      messagesSent: stats.messagesSent,
      publishDropped: stats.publishDropped,
      publishReceived: stats.publishReceived,
      publishSent: stats.publishSent,
      bytesReceived: bytes.received,
      bytesSent: bytes.sent,
      socketsAccepted: stats.socketsAccepted,
      connections: stats.clientsTotalEver,
    };
  }

  /** Messages held for delivery (queued and in flight, each once) and retained, and their payload bytes. */
  private store(): { count: number; bytes: number } {
    const seen = new Set<BrokerMessage>();
    // a session restored at start-up keeps its messages in the store until its client returns:
    // counted there, one per stored copy (their payload bytes once a queue bound has read them)
    let storedOnly = 0;
    let bytes = this.broker.retained.payloadBytes;
    for (const s of this.broker.sessions.values()) {
      // most sessions hold nothing: no iterator for them (thousands of idle connections)
      if (s.out.queue.length > 0) for (const d of s.out.queue) seen.add(d.message);
      if (s.out.inflight.size > 0) for (const d of s.out.inflight.values()) seen.add(d.message);
      if (s.stored !== undefined) {
        const size = s.stored.size();
        storedOnly += size.count;
        bytes += size.bytes ?? 0;
      }
    }
    for (const m of seen) bytes += m.payload.length;
    return { count: seen.size + storedOnly + this.broker.retained.size, bytes };
  }

  /** The values of one update, in Mosquitto's order; load averages are computed as a side effect. */
  values(now = Date.now()): Array<[string, string]> {
    const b = this.broker;
    const out: Array<[string, string]> = [];
    const put = (topic: string, value: number | string) => out.push([`$SYS/broker/${topic}`, String(value)]);
    put('uptime', `${Math.floor((now - b.stats.startedAt) / 1000)} seconds`);

    const connected = b.connectedCount;
    let disconnected = 0;
    let shared = 0;
    for (const s of b.sessions.values()) {
      if (s.state === SessionState.Offline) disconnected++;
      if (s.hasSubscriptions) for (const sub of s.subscriptions.values()) if (sub.shareName !== undefined) shared++;
    }
    const total = connected + disconnected;
    put('clients/total', total);
    this.clientsMaximum = Math.max(this.clientsMaximum, total);
    put('clients/maximum', this.clientsMaximum);
    put('clients/inactive', disconnected);
    put('clients/disconnected', disconnected);
    put('clients/active', connected);
    put('clients/connected', connected);
    put('clients/expired', b.stats.clientsExpired);

    const counters = this.counters();
    const initial = this.lastUpdate === 0;
    const elapsed = initial ? 0 : Math.max(1, (now - this.lastUpdate) / 1000);
    for (const [period, seconds] of PERIODS) {
      for (const [name, counter] of LOADS) {
        const topic = `load/${name}/${period}`;
        const current = this.loads.get(topic) ?? 0;
        if (initial) {
          put(topic, current.toFixed(2));
          continue;
        }
        const rate = (counters[counter] - (this.previous.get(counter) ?? 0)) * (60 / elapsed);
        const next = rate + Math.exp(-elapsed / seconds) * (current - rate);
        // Mosquitto republishes a load only when it moved by 0.01 or more
        if (Math.abs(next - current) >= 0.01) put(topic, next.toFixed(2));
        this.loads.set(topic, next);
      }
    }
    for (const [counter, value] of Object.entries(counters)) this.previous.set(counter as Counter, value);
    this.lastUpdate = now;

    const store = this.store();
    put('messages/stored', store.count);
    put('store/messages/count', store.count);
    put('store/messages/bytes', store.bytes);
    put('subscriptions/count', b.subscriptions.size);
    put('shared_subscriptions/count', shared);
    put('retained messages/count', b.retained.size);
    const heap = process.memoryUsage().heapUsed;
    this.heapMaximum = Math.max(this.heapMaximum, heap);
    put('heap/current', heap);
    put('heap/maximum', this.heapMaximum);
    put('messages/received', b.stats.messagesReceived);
    put('messages/sent', b.stats.messagesSent);
    put('publish/messages/dropped', b.stats.publishDropped);
    put('publish/messages/received', b.stats.publishReceived);
    put('publish/messages/sent', b.stats.publishSent);
    put('bytes/received', counters.bytesReceived);
    put('bytes/sent', counters.bytesSent);
    put('publish/bytes/received', b.stats.publishBytesReceived);
    put('publish/bytes/sent', b.stats.publishBytesSent);
    return out;
  }

  update(now = Date.now()): void {
    for (const [topic, value] of this.values(now)) {
      // the uptime always (as Mosquitto), loads when they moved (decided in values), the rest on change
      if (!topic.endsWith('/uptime') && !topic.includes('/load/') && this.last.get(topic) === value) continue;
      this.send(topic, value, SYS_EXPIRY);
    }
  }

  /** Published by the broker itself: no client's authorisation, not counted as received. */
  private send(topic: string, value: string, expirySeconds: number): void {
    this.last.set(topic, value);
    this.broker.publish({
      topic,
      payload: Buffer.from(value),
      qos: SYS_QOS,
      retain: true,
      ...(expirySeconds > 0 && { expiresAt: Date.now() + expirySeconds * 1000, properties: { messageExpiryInterval: expirySeconds } }),
    });
  }
}
