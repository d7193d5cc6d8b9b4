/**
 * How long a bridge waits before reconnecting, as Mosquitto computes it (bridge.c
 * bridge__backoff_step / bridge__update_backoff): with `restart_timeout BASE CAP`, AWS's
 * "decorrelated jitter" — the next wait is a random whole number of milliseconds in
 * [BASE, 3 x previous wait), never above CAP — and back to BASE once a connection was up long
 * enough; with `restart_timeout N` always N seconds.
 */
export interface RestartPolicy {
  /** seconds: the constant wait, or the backoff's base */
  restartTimeout: number;
  /** seconds; 0 = constant */
  backoffCap: number;
}

/** `random()` returns [0, 1), like Math.random; injected so tests can pin it. */
export function nextRestartMs(policy: RestartPolicy, previousMs: number | undefined, random: () => number = Math.random): number {
  const base = policy.restartTimeout * 1000;
  if (policy.backoffCap === 0) return base;
  const cap = policy.backoffCap * 1000;
  const high = Math.max(base + 1, (previousMs ?? base) * 3);
  const next = base + Math.floor(random() * (high - base));
  return Math.min(next, cap);
}

/**
 * Mosquitto resets the backoff when the connection that just ended lasted at least this long
 * (its stable_connection_period default in 2.0.x: the first wait after a long-lived connection
 * starts from the base again).
 */
export const STABLE_CONNECTION_MS = 60_000;
