import { topicMatchesFilter } from '../core/topic/match.js';
import type { BrokerMessage } from './message.js';

/** Retained messages by topic; an empty payload deletes [MQTT-3.3.1-10]. */
export class RetainedStore {
  private readonly messages = new Map<string, BrokerMessage>();

  get size(): number {
    return this.messages.size;
  }

  set(message: BrokerMessage): void {
    if (message.payload.length === 0) this.messages.delete(message.topic);
    else this.messages.set(message.topic, message);
  }

  /** Retained messages whose topic matches the filter, expired ones removed on the way. */
  *matching(filter: string, now: number): Iterable<BrokerMessage> {
    const exact = !filter.includes('+') && !filter.includes('#');
    if (exact) {
      const m = this.messages.get(filter);
      if (m && !this.expired(m, now)) yield m;
      return;
    }
    for (const m of this.messages.values()) {
      if (topicMatchesFilter(filter, m.topic) && !this.expired(m, now)) yield m;
    }
  }

  private expired(m: BrokerMessage, now: number): boolean {
    if (m.expiresAt !== undefined && m.expiresAt <= now) {
      this.messages.delete(m.topic);
      return true;
    }
    return false;
  }
}
