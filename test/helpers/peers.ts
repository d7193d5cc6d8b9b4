import { execFileSync } from 'node:child_process';
import { describe } from 'vitest';

/**
 * Tests that need a real peer (Mosquitto, tshark, libpcap) skip loudly where it is missing; with
 * MQTT_REQUIRE_PEERS=1 (set by .ci/run) a missing peer fails the run instead.
 */
export function hasTool(cmd: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export function describeIfTool(tools: string[], name: string, fn: () => void): void {
  const missing = tools.filter((t) => !hasTool(t));
  if (missing.length === 0) {
    describe(name, fn);
    return;
  }
  if (process.env.MQTT_REQUIRE_PEERS === '1') {
    describe(name, () => {
      throw new Error(`required peer missing: ${missing.join(', ')} (MQTT_REQUIRE_PEERS=1)`);
    });
    return;
  }
  process.stderr.write(`\n*** SKIPPING "${name}": ${missing.join(', ')} not installed ***\n\n`);
  describe.skip(name, fn);
}
