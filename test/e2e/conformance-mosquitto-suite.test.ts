import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.js';
import { describeIfTool } from '../helpers/peers.js';

/**
 * Mosquitto 2.0's own broker tests (third-party conformance tests: test/broker/*.py) against
 * `mqtt broker`, through scripts/conformance/mosquitto-suite.mjs, which fetches them at run time
 * from Debian's source package with apt-get (nothing of them is in this repository). One vitest
 * test per Mosquitto test of scripts/conformance/expected-pass.txt: every one must pass.
 *
 * Without network the suite cannot be fetched: the tests skip loudly, and fail under
 * MQTT_REQUIRE_PEERS=1 (CI).
 */

const SCRIPT = path.join(ROOT, 'scripts/conformance/mosquitto-suite.mjs');
const LIST = path.join(ROOT, 'scripts/conformance/expected-pass.txt');
/** the script's exit code when the suite could not be fetched */
const FETCH_FAILED = 3;

const expected = readFileSync(LIST, 'utf8')
  .split('\n')
  .map((l) => l.replace(/#.*/, '').trim())
  .filter(Boolean);

interface SuiteTest {
  name: string;
  status: 'PASS' | 'FAIL' | 'SKIP';
  seconds?: number;
  reason?: string;
  output?: string;
  retried?: number;
}

interface Outcome {
  fetchError?: string;
  tests: Map<string, SuiteTest>;
  log: string;
}

function runSuite(): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    // four at a time: the tests mostly sleep; a failure is retried once, alone, since the suite's
    // fixed sleeps and 2-second broker start-up wait can be missed on a loaded machine
    const args = [SCRIPT, '--expected', '--json', '--jobs', '4', '--retries', '1', '--timeout', '60', '--base-port', '25880'];
    const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => {
      let doc: { error?: string; message?: string; tests?: SuiteTest[] };
      try {
        doc = JSON.parse(stdout) as typeof doc;
      } catch {
        return reject(new Error(`mosquitto-suite.mjs exited ${code} without its JSON report:\n${stderr}\n${stdout}`.slice(0, 8000)));
      }
      if (code === FETCH_FAILED || doc.error === 'fetch') {
        return resolve({ fetchError: doc.message ?? stderr.trim(), tests: new Map(), log: stderr });
      }
      resolve({ tests: new Map((doc.tests ?? []).map((t) => [t.name, t])), log: stderr });
    });
  });
}

describeIfTool(['python3', 'apt-get'], "Mosquitto 2.0's broker test suite against mqtt broker", () => {
  let outcome: Outcome;

  beforeAll(async () => {
    outcome = await runSuite();
    if (outcome.fetchError === undefined) return;
    if (process.env.MQTT_REQUIRE_PEERS === '1') {
      throw new Error(`Mosquitto's test suite could not be fetched (MQTT_REQUIRE_PEERS=1): ${outcome.fetchError}`);
    }
    process.stderr.write(
      `\n*** SKIPPING ${expected.length} Mosquitto conformance tests: the suite could not be fetched ***\n*** ${outcome.fetchError} ***\n\n`,
    );
  }, 300_000);

  it('expected-pass.txt names tests', () => {
    expect(expected.length).toBeGreaterThan(50);
    expect(new Set(expected).size).toBe(expected.length);
  });

  for (const name of expected) {
    it(name, (ctx) => {
      if (outcome.fetchError !== undefined) ctx.skip(`Mosquitto's test suite could not be fetched: ${outcome.fetchError}`);
      const t = outcome.tests.get(name);
      const why = t ? `${t.reason ?? ''}\n${t.output ?? ''}` : `not in the report of mosquitto-suite.mjs:\n${outcome.log.slice(-4000)}`;
      expect(t?.status, why).toBe('PASS');
    });
  }
});
