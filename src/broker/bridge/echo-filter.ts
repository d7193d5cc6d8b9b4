/**
 * A 3.1.1 remote that is not a Mosquitto accepting try_private (RabbitMQ, or any broker with
 * `try_private false`) has no no-local: what the bridge publishes there on a topic that one of
 * its own remote subscriptions (`both`, or overlapping `in` and `out` lines) matches comes back
 * to it once. Without this filter the edge's subscribers would get each such message twice
 * (the local side's no-local stops it there, so it is one echo, not a loop). The bridge notes
 * what it sends that it will get back, and drops the first identical message (topic and
 * payload) that comes in for each: if a remote client published the same bytes on the same topic
 * meanwhile, one copy still arrives. Bounded: an echo that never comes (a QoS 0 message the
 * remote dropped) is forgotten after ECHO_TTL_MS, or when MAX_PENDING other messages are awaited.
 */
import { createHash } from 'node:crypto';
import { topicMatchesFilter } from '../../core/topic/match.js';

const ECHO_TTL_MS = 30_000;
const MAX_PENDING = 10_000;

export class EchoFilter {
  /** key -> when each echo still expected was sent, oldest first */
  private readonly pending = new Map<string, number[]>();

  /** `filters`: the remote topics the bridge subscribes to (its `in` and `both` lines) */
  constructor(private readonly filters: readonly string[]) {}

  /** A message sent to the remote on `topic`: noted when a subscription of ours brings it back. */
  sent(topic: string, payload: Buffer, now = Date.now()): void {
    if (!this.filters.some((f) => topicMatchesFilter(f, topic))) return;
    const key = keyOf(topic, payload);
    let times = this.pending.get(key);
    if (times === undefined) {
      if (this.pending.size >= MAX_PENDING) this.evict(now);
      times = [];
      this.pending.set(key, times);
    }
    times.push(now);
  }

  /** A message from the remote: true when it is the echo of one we sent (drop it). */
  isEcho(topic: string, payload: Buffer, now = Date.now()): boolean {
    if (this.pending.size === 0) return false;
    const key = keyOf(topic, payload);
    const times = this.pending.get(key);
    if (times === undefined) return false;
    while (times.length > 0 && now - times[0]! > ECHO_TTL_MS) times.shift();
    const echo = times.length > 0;
    if (echo) times.shift();
    if (times.length === 0) this.pending.delete(key);
    return echo;
  }

  /** Forgets the echoes that did not come in time, then the oldest keys while there are too many. */
  private evict(now: number): void {
    for (const [key, times] of this.pending) {
      while (times.length > 0 && now - times[0]! > ECHO_TTL_MS) times.shift();
      if (times.length === 0) this.pending.delete(key);
    }
    for (const key of this.pending.keys()) {
      if (this.pending.size < MAX_PENDING) break;
      this.pending.delete(key);
    }
  }
}

function keyOf(topic: string, payload: Buffer): string {
  return `${topic}\0${createHash('sha1').update(payload).digest('base64')}`;
}
