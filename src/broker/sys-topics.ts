import type { Broker } from './broker.js';
import { ClientState } from './broker-client.js';
import { SessionState } from './session.js';

/**
 * $SYS/broker/… statistics like Mosquitto's, published retained every sys_interval seconds;
 * like Mosquitto, a value is republished only when it changed.
 */
export class SysTopics {
  private timer?: NodeJS.Timeout;
  private readonly last = new Map<string, string>();

  constructor(
    private readonly broker: Broker,
    private readonly version: string,
  ) {}

  start(intervalSeconds: number): void {
    if (intervalSeconds <= 0) return;
    this.publish('$SYS/broker/version', `mqtt-toolkit version ${this.version}`);
    this.update();
    this.timer = setInterval(() => this.update(), intervalSeconds * 1000);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Current values, also used by tests. */
  values(): Record<string, string> {
    const b = this.broker;
    let connected = 0;
    for (const c of b.clients) if (c.state === ClientState.Connected) connected++;
    let disconnected = 0;
    for (const s of b.sessions.values()) if (s.state === SessionState.Offline) disconnected++;
    let stored = 0;
    for (const s of b.sessions.values()) stored += s.queue.length + s.inflight.size;
    const bytes = b.byteCounts();
    return {
      '$SYS/broker/uptime': `${Math.floor((Date.now() - b.stats.startedAt) / 1000)} seconds`,
      '$SYS/broker/clients/connected': String(connected),
      '$SYS/broker/clients/disconnected': String(disconnected),
      '$SYS/broker/clients/total': String(connected + disconnected),
      '$SYS/broker/clients/maximum': String(b.stats.clientsMaximum),
      '$SYS/broker/messages/received': String(b.stats.messagesReceived),
      '$SYS/broker/messages/sent': String(b.stats.messagesSent),
      '$SYS/broker/messages/stored': String(stored + b.retained.size),
      '$SYS/broker/store/messages/count': String(stored + b.retained.size),
      '$SYS/broker/publish/messages/received': String(b.stats.publishReceived),
      '$SYS/broker/publish/messages/sent': String(b.stats.publishSent),
      '$SYS/broker/publish/messages/dropped': String(b.stats.publishDropped),
      '$SYS/broker/bytes/received': String(bytes.received),
      '$SYS/broker/bytes/sent': String(bytes.sent),
      '$SYS/broker/subscriptions/count': String(b.subscriptions.size),
      '$SYS/broker/retained messages/count': String(b.retained.size),
    };
  }

  update(): void {
    for (const [topic, value] of Object.entries(this.values())) this.publish(topic, value);
  }

  private publish(topic: string, value: string): void {
    if (this.last.get(topic) === value) return;
    this.last.set(topic, value);
    // internal: bypasses client authorisation (clients may not publish to $SYS themselves)
    this.broker.publish({ topic, payload: Buffer.from(value), qos: 0, retain: true });
  }
}
