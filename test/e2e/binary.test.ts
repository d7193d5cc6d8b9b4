// The single executable (npm run build:binary): built into an empty temp folder, far from
// node_modules, and run there on its own.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawClient } from '../helpers/broker.js';
import { ROOT, runCmd, runMqtt, spawnCmd } from '../helpers/cli.js';
import { hasTool } from '../helpers/peers.js';
import { FIXTURE_DIR } from '../helpers/sniff-run.js';

const BUNDLE = path.join(ROOT, 'dist/mqtt.cjs');
const execFileAsync = promisify(execFile);
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
  let buildOutput: string;
  // no NODE_OPTIONS: a V8 flag there (--max-old-space-size…) makes the executable refuse its
  // startup snapshot (README, "One executable"), whatever this test is about
  const env = () => ({ XDG_CACHE_HOME: path.join(dir, 'cache'), NODE_OPTIONS: undefined });
  const run = (file: string, args: string[], input = '') => runCmd(file, args, { cwd: dir, env: env(), input });

  beforeAll(async () => {
    if (reason) throw new Error(`cannot build the single executable: ${reason} (MQTT_REQUIRE_PEERS=1)`);
    dir = mkdtempSync(path.join(tmpdir(), 'mqtt-binary-'));
    bin = path.join(dir, 'mqtt');
    binWithoutCap = path.join(dir, 'mqtt-without-cap');
    const build = async (out: string, ...extra: string[]) =>
      (await execFileAsync(process.execPath, ['scripts/build-binary.mjs', '--out', out, ...extra], { cwd: ROOT })).stdout;
    // side by side (each takes 5-10 s, the snapshot the longer)
    [buildOutput] = await Promise.all([
      build(bin),
      // also the way without a snapshot (the warmed code caches), which a failed snapshot falls back to
      build(binWithoutCap, '--without-cap', '--without-snapshot'),
    ]);
  }, 120_000);

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

  it('persists with its embedded LMDB binding: retained and queued messages survive kill -9 and SIGTERM; a truncated store is refused', async () => {
    const store = path.join(dir, 'store');
    // one process (no launcher), so kill -9 ends the store's holder at once
    const start = async () => {
      const b = spawnCmd(bin, ['broker', '--port', '0', '--persist', store], { cwd: dir, env: { ...env(), MQTT_BROKER_HEAP: 'keep' }, timeoutMs: 30_000 });
      return { b, port: (await b.waitForStdout(/^\d+\n/)).trim() };
    };
    let { b, port } = await start();
    try {
      // a persistent session subscribes and goes; a retained message and a queued one, each acknowledged once stored
      expect((await run(bin, ['sub', '-p', port, '-c', '-i', 'sea-durable', '-q', '1', '-t', 'durable/#', '-E'])).code).toBe(0);
      expect((await run(bin, ['pub', '-p', port, '-t', 'durable/r', '-m', 'kept', '-r', '-q', '1'])).code).toBe(0);
      expect((await run(bin, ['pub', '-p', port, '-t', 'durable/q', '-m', 'queued', '-q', '1'])).code).toBe(0);
      b.kill('SIGKILL');
      await b.done;
      ({ b, port } = await start());
      const sub = await run(bin, ['sub', '-p', port, '-c', '-i', 'sea-durable', '-q', '1', '-t', 'durable/#', '-C', '2', '-v', '-W', '5']);
      expect([sub.code, sub.stderr]).toEqual([0, '']);
      expect(sub.stdout.toString().split('\n').filter(Boolean).sort()).toEqual(['durable/q queued', 'durable/r kept']);
      b.kill('SIGTERM');
      expect((await b.done).code).toBe(0);
      ({ b, port } = await start());
      const again = await run(bin, ['sub', '-p', port, '-t', 'durable/r', '-C', '1', '-v', '-W', '5']);
      expect(again.stdout.toString()).toBe('durable/r kept\n');
    } finally {
      b.kill();
      await b.done;
    }
    // the store check runs in a child of the binary itself (a single executable has no `node -e`)
    const bad = path.join(dir, 'bad-store');
    mkdirSync(bad);
    const file = readFileSync(path.join(store, 'mqtt-broker.lmdb'));
    writeFileSync(path.join(bad, 'mqtt-broker.lmdb'), file.subarray(0, Math.max(12_288, Math.floor(file.length / 2 / 4096) * 4096)));
    const refused = await run(bin, ['broker', '--port', '0', '--persist', bad]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/persistence store .*bad-store\/mqtt-broker\.lmdb is corrupt \(.*truncated\)/);
  }, 60_000);

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

  /** A stand-in broker on 127.0.0.1 for one client: CONNACK, then its PUBLISH. */
  async function standIn(): Promise<{ port: number; client: Promise<RawClient>; close: () => void }> {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const sockets: net.Socket[] = [];
    const client = new Promise<RawClient>((resolve) =>
      server.once('connection', (s) => {
        sockets.push(s);
        resolve(RawClient.accept(s, 4));
      }),
    );
    const close = () => {
      for (const s of sockets) s.destroy();
      server.close();
    };
    return { port: (server.address() as net.AddressInfo).port, client, close };
  }

  // The binary starts from a V8 startup snapshot made at build time (scripts/build-binary.mjs,
  // issue 16): whatever a run depends on must be read when it runs, not when it was built (in
  // ROOT, without a terminal, with the build's environment).
  it('starts from a startup snapshot and reads argv, env, cwd and its pid when it runs', async () => {
    expect(buildOutput).toContain('starts from startup snapshot');
    // `mqtt pub`'s command tree is built in the snapshot: its help is the npm-installed one's
    const [help, npmHelp] = await Promise.all([run(bin, ['pub', '--help']), runMqtt(['pub', '--help'])]);
    expect([help.code, help.stdout.toString()]).toEqual([npmHelp.code, npmHelp.stdout.toString()]);
    const { port, client, close } = await standIn();
    try {
      // a profile found through XDG_CONFIG_HOME (env), a file relative to the working directory (cwd)
      mkdirSync(path.join(dir, 'config', 'mqtt', 'profiles'), { recursive: true });
      writeFileSync(path.join(dir, 'config', 'mqtt', 'profiles', 'snap'), `-p ${port}\n-t snap/from-profile\n`);
      writeFileSync(path.join(dir, 'payload.txt'), 'read at run time');
      // and the process id (-I: the client id is the prefix and the pid)
      const pub = spawnCmd(bin, ['pub', '--profile', 'snap', '-f', 'payload.txt', '-q', '1', '-I', 'snap-'], {
        cwd: dir,
        env: { ...env(), XDG_CONFIG_HOME: path.join(dir, 'config') },
      });
      const server = await client;
      expect((await server.next('connect')).clientId).toBe(`snap-${pub.proc.pid}`);
      server.send({ cmd: 'connack', sessionPresent: false, returnCode: 0 });
      const publish = await server.next('publish');
      expect([publish.topic, publish.payload.toString()]).toEqual(['snap/from-profile', 'read at run time']);
      server.send({ cmd: 'puback', messageId: publish.messageId });
      const r = await pub.done;
      expect([r.code, r.stderr]).toEqual([0, '']);
    } finally {
      close();
    }
  });

  it.skipIf(!hasTool('script') && process.env.MQTT_REQUIRE_PEERS !== '1')(
    'sees a terminal and NO_COLOR when it runs, not when it was built',
    async () => {
      // `mqtt pub -P` with no value asks for the password only when stdin is a terminal
      const { port, client, close } = await standIn();
      try {
        const quoted = [bin, 'pub', '-p', String(port), '-t', 't', '-m', 'm', '-u', 'alice', '-P'].map((a) => `'${a}'`).join(' ');
        const run = spawnCmd('script', ['-qec', quoted, '/dev/null'], { cwd: dir, env: env() });
        await run.waitForStdout(/Password: /);
        run.proc.stdin!.write('sekrit\r');
        const server = await client;
        expect((await server.next('connect')).password?.toString()).toBe('sekrit');
        server.send({ cmd: 'connack', sessionPresent: false, returnCode: 0 });
        await server.next('publish');
        server.socket.end();
        expect((await run.done).code).toBe(0);
      } finally {
        close();
      }
      // colours on a terminal, none with NO_COLOR
      const fixture = path.join(FIXTURE_DIR, 'v311-session.pcap');
      const sniff = (envText: string) =>
        runCmd('script', ['-qec', `${envText} '${bin}' sniff -q -c 4 -r '${fixture}'`, '/dev/null'], { cwd: dir, env: { ...env(), NO_COLOR: undefined } });
      expect((await sniff('')).stdout.toString()).toMatch(/\x1b\[32mCONNECT\x1b\[39m/);
      expect((await sniff('NO_COLOR=1')).stdout.toString()).not.toMatch(/\x1b\[/);
    },
  );

  it('says why it cannot capture live when built without cap.node (and starts without a snapshot)', async () => {
    expect((await run(binWithoutCap, ['--version'])).stdout.toString()).toBe(`${VERSION}\n`);
    const r = await run(binWithoutCap, ['sniff', '-i', 'lo', '-c', '1']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('built without cap.node');
    expect(r.stderr).toContain('-r');
  });
});
