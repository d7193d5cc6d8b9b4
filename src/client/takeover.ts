import { RC } from '../core/protocol/reason-codes.js';

/**
 * Client-id collisions: two clients with one id knock each other off, each reconnecting in turn.
 * MQTT 5 says so (DISCONNECT 0x8E, "Session taken over" [MQTT-3.1.4-3]); MQTT 3.1.1 brokers just
 * close the old connection, so the only sign is a run of connections closed soon after CONNACK.
 */

export const SESSION_TAKEN_OVER = RC.SessionTakenOver;

/** libmosquitto's fixed reconnect delay, which mosquitto_sub keeps. */
export const RECONNECT_DELAY_MS = 1000;

export function takeoverMessage(clientId: string): string {
  return `Session taken over: another client connected with the client id '${clientId}'.`;
}

export function probableTakeoverMessage(clientId: string, closes: number): string {
  return (
    `Warning: the broker closed the connection ${closes} times in a row shortly after accepting it: ` +
    `another client with the client id '${clientId}' is probably connected. Reconnecting with a growing delay.`
  );
}

export interface TakeoverDetectorOptions {
  /** a close within this long after CONNACK counts as "shortly after" */
  windowMs?: number;
  /** closes in a row before we call it a collision */
  threshold?: number;
  maxDelayMs?: number;
  now?: () => number;
  random?: () => number;
}

/**
 * Watches connections end (3.1.1, where the broker gives no reason): after `threshold` closes in
 * a row, each within `windowMs` of its CONNACK, it reports a probable collision once and turns
 * the 1 s reconnect delay into an exponential back-off with jitter, so the two clients stop
 * trading the session every second. A connection that lasts resets it.
 */
export class TakeoverDetector {
  private connectedAt: number | undefined;
  private streak = 0;
  private warned = false;
  private readonly windowMs: number;
  private readonly threshold: number;
  private readonly maxDelayMs: number;
  private readonly now: () => number;
  private readonly random: () => number;

  constructor(opts: TakeoverDetectorOptions = {}) {
    this.windowMs = opts.windowMs ?? 5000;
    this.threshold = opts.threshold ?? 3;
    this.maxDelayMs = opts.maxDelayMs ?? 30_000;
    this.now = opts.now ?? Date.now;
    this.random = opts.random ?? Math.random;
  }

  /** A CONNACK accepted the connection. */
  connected(): void {
    this.connectedAt = this.now();
  }

  /**
   * The connection closed without us asking: how long to wait before reconnecting, and whether
   * this is the moment to say (once) that another client probably uses the same id.
   */
  lost(): { delayMs: number; warn: boolean; closes: number } {
    const short = this.connectedAt !== undefined && this.now() - this.connectedAt <= this.windowMs;
    this.connectedAt = undefined;
    this.streak = short ? this.streak + 1 : 0;
    if (this.streak < this.threshold) return { delayMs: RECONNECT_DELAY_MS, warn: false, closes: this.streak };
    const warn = !this.warned;
    this.warned = true;
    const base = Math.min(this.maxDelayMs, RECONNECT_DELAY_MS * 2 ** (this.streak - this.threshold + 1));
    // full jitter over the upper half: two colliding clients drift apart instead of alternating
    const delayMs = Math.round(base / 2 + this.random() * (base / 2));
    return { delayMs, warn, closes: this.streak };
  }
}
