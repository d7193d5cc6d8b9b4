import { createRequire } from 'node:module';
import { describe, it } from 'vitest';

/** Why live capture cannot be tested here (not root, or the cap binding does not load), or null when it can. */
export function liveCaptureBlocker(): string | null {
  if (process.getuid?.() !== 0) return 'not running as root';
  try {
    createRequire(import.meta.url)('cap');
    return null;
  } catch (err) {
    return `cap does not load (${(err as Error).message.split('\n')[0]})`;
  }
}

/**
 * `describe` for tests that capture live: skipped loudly without root or cap, and failing instead
 * under MQTT_REQUIRE_PEERS=1 (as CI sets), like describeIfTool for a missing peer.
 */
export function describeIfLiveCapture(name: string, fn: () => void): void {
  const blocker = liveCaptureBlocker();
  if (!blocker) {
    describe(name, fn);
    return;
  }
  if (process.env.MQTT_REQUIRE_PEERS === '1') {
    describe(name, () => {
      it('needs root and cap', () => {
        throw new Error(`live capture required but ${blocker} (MQTT_REQUIRE_PEERS=1)`);
      });
    });
    return;
  }
  process.stderr.write(`\n*** SKIPPING "${name}": ${blocker} ***\n\n`);
  describe.skip(name, fn);
}
