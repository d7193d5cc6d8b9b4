import type { IPublishPacket } from 'mqtt-packet';
import type { MqttClient } from '../../src/client/mqtt-client.js';

/** A subscriber that records what it gets; `until` waits (with a deadline) for a count. */
export class Inbox {
  readonly got: IPublishPacket[] = [];
  private waiters: Array<() => void> = [];
  constructor(readonly client: MqttClient) {
    client.on('message', (p) => {
      this.got.push(p);
      for (const w of [...this.waiters]) w();
    });
  }
  texts(): string[] {
    return this.got.map((p) => `${p.topic} ${p.payload.toString()}`);
  }
  until(what: string, done: () => boolean, timeoutMs = 15_000): Promise<void> {
    return new Promise((resolve, reject) => {
      if (done()) return resolve();
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}; got ${JSON.stringify(this.texts().slice(-20))}`)), timeoutMs);
      const check = () => {
        if (!done()) return;
        clearTimeout(timer);
        this.waiters = this.waiters.filter((w) => w !== check);
        resolve();
      };
      this.waiters.push(check);
    });
  }
}
