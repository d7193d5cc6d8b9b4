// The single executable (npm run build:binary): built into an empty temp folder, far from
// node_modules, and run there on its own.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, runCmd, runMqtt, spawnCmd } from '../helpers/cli.js';
import { FIXTURE_DIR } from '../helpers/sniff-run.js';

const BUNDLE = path.join(ROOT, 'dist/mqtt.cjs');
const VERSION: string = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version;

/** Why the binary cannot be built here, or undefined when it can. */
function cannotBuild(): string | undefined {
  if (!existsSync(BUNDLE)) return 'dist/mqtt.cjs is not built (npm run build)';
  try {
    createRequire(path.join(ROOT, 'package.json')).resolve('postject');
  } catch {
    return 'postject is not installed (npm install)';
  }
  return undefined;
}

const reason = cannotBuild();
if (reason && process.env.MQTT_REQUIRE_PEERS !== '1') {
  process.stderr.write(`\n*** SKIPPING "single executable": ${reason} ***\n\n`);
}

describe.skipIf(reason !== undefined && process.env.MQTT_REQUIRE_PEERS !== '1')('single executable', () => {
  let dir: string;
  let bin: string;
  let binWithoutCap: string;
  const env = () => ({ XDG_CACHE_HOME: path.join(dir, 'cache') });
  const run = (file: string, args: string[], input = '') => runCmd(file, args, { cwd: dir, env: env(), input });

  beforeAll(() => {
    if (reason) throw new Error(`cannot build the single executable: ${reason} (MQTT_REQUIRE_PEERS=1)`);
    dir = mkdtempSync(path.join(tmpdir(), 'mqtt-binary-'));
    bin = path.join(dir, 'mqtt');
    binWithoutCap = path.join(dir, 'mqtt-without-cap');
    const build = (out: string, ...extra: string[]) =>
      execFileSync(process.execPath, ['scripts/build-binary.mjs', '--out', out, ...extra], { cwd: ROOT, stdio: 'pipe' });
    build(bin);
    build(binWithoutCap, '--without-cap');
  }, 60_000);

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('prints its version', async () => {
    const r = await run(bin, ['--version']);
    expect([r.code, r.stdout.toString(), r.stderr]).toEqual([0, `${VERSION}\n`, '']);
  });

  it('runs a broker on a free port and a pub/sub round trip through it, alone', async () => {
    const broker = spawnCmd(bin, ['broker', '--port', '0'], { cwd: dir, env: env(), timeoutMs: 30_000 });
    try {
      const port = (await broker.waitForStdout(/^\d+\n/)).trim();
      const pub = await run(bin, ['pub', '-p', port, '-t', 'sea/t', '-m', 'from the binary', '-q', '1', '-r']);
      expect([pub.code, pub.stderr]).toEqual([0, '']);
      const sub = await run(bin, ['sub', '-p', port, '-t', 'sea/#', '-C', '1', '-v', '-W', '5']);
      expect([sub.code, sub.stdout.toString(), sub.stderr]).toEqual([0, 'sea/t from the binary\n', '']);
      // bench lanes run in a worker thread evaluated from the embedded "mqtt.cjs" asset
      const bench = await run(bin, ['bench', 'pub', '-p', port, '-t', 'sea/bench/%i', '-n', '200', '-w', '1', '--json', '--quiet']);
      expect([bench.code, bench.stderr]).toEqual([0, '']);
      expect(JSON.parse(bench.stdout.toString()).exitCode).toBe(0);
    } finally {
      broker.kill();
      await broker.done;
    }
  });

  it('hashes and checks argon2id in a worker thread evaluated from the embedded bundle', async () => {
    const pwfile = path.join(dir, 'argon2-passwd');
    expect((await run(bin, ['passwd', '-H', 'argon2id', '-c', '-b', pwfile, 'u', 'pw'])).code).toBe(0);
    expect(readFileSync(pwfile, 'utf8')).toMatch(/^u:\$argon2id\$v=19\$m=47104,t=1,p=1\$/);
    expect((await run(bin, ['passwd', '--check', '-b', pwfile, 'u', 'pw'])).code).toBe(0);
    expect((await run(bin, ['passwd', '--check', '-b', pwfile, 'u', 'pW'])).code).toBe(2);
  });

  it('decodes a capture file exactly as the bundle does', async () => {
    const fixture = path.join(FIXTURE_DIR, 'v311-session.pcap');
    const [own, bundled] = await Promise.all([
      runCmd(bin, ['sniff', '-r', fixture], { cwd: dir, env: { ...env(), TZ: 'UTC' } }),
      runMqtt(['sniff', '-r', fixture], { env: { TZ: 'UTC' } }),
    ]);
    expect(own.code).toBe(0);
    expect(own.stdout.toString()).toMatch(/CONNECT.*sniff-test|sniff-test.*CONNECT/);
    expect(own.stdout.toString()).toBe(bundled.stdout.toString());
  });

  it('says why it cannot capture live when built without cap.node', async () => {
    const r = await run(binWithoutCap, ['sniff', '-i', 'lo', '-c', '1']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('built without cap.node');
    expect(r.stderr).toContain('-r');
  });
});
