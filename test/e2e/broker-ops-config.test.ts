import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCmd, runMqtt, spawnMqtt } from '../helpers/cli.js';
import { makeTestCerts, type TestCerts } from '../helpers/certs.js';
import { startMosquitto } from '../helpers/mosquitto.js';
import { describeIfTool } from '../helpers/peers.js';
import { freePort } from '../helpers/ports.js';

/** Mosquitto prefixes its log lines with a time stamp: drop it to compare the words. */
const untimed = (text: string) => text.replace(/^\d+: /gm, '');

let scratch: string;
beforeAll(() => {
  scratch = mkdtempSync(path.join(tmpdir(), 'mqtt-ops-config-'));
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function confFile(name: string, lines: string[]): string {
  const file = path.join(scratch, name);
  writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

describe('configuration errors exit 3 with one "Error:" prefix', () => {
  it('a misspelt option (acl_flie) stops the broker: file:line, exit 3, nothing listening (fail closed)', async () => {
    const port = await freePort();
    const file = confFile('misspelt.conf', [`listener ${port} 127.0.0.1`, 'acl_flie acl']);
    const r = await runMqtt(['broker', '-c', file], { timeoutMs: 10_000 });
    expect(r.code).toBe(3);
    expect(r.stderr).toBe(`Error: Unknown configuration variable "acl_flie".\nError found at ${file}:2.\n`);
  });

  it('an option recognised but deliberately ignored keeps its warning and the broker runs', async () => {
    const port = await freePort();
    const file = confFile('ignored.conf', [`listener ${port} 127.0.0.1`, 'pid_file /nonexistent/mqtt.pid']);
    const b = spawnMqtt(['broker', '-c', file]);
    await b.waitForStderr(/ running\n/);
    expect(b.stderr).toContain(`Warning: Option "pid_file" at ${file}:2 is not supported: no pid file is written (ignored).`);
    b.proc.kill('SIGTERM');
    expect((await b.done).code).toBe(0);
  });

  it('an unreadable password file: "Error: Unable to open pwfile" once, exit 3', async () => {
    const port = await freePort();
    const missing = path.join(scratch, 'no-such-pwfile');
    const file = confFile('pw.conf', [`listener ${port} 127.0.0.1`, `password_file ${missing}`]);
    const r = await runMqtt(['broker', '-c', file], { timeoutMs: 10_000 });
    expect(r.code).toBe(3);
    expect(r.stderr).toBe(`Error: Unable to open pwfile "${missing}".\n`);
  });

  it.each(['-1', 'abc', '65536'])('-p %s: "Error: Invalid port specified", exit 3', async (port) => {
    const r = await runMqtt(['broker', '-p', port], { timeoutMs: 10_000 });
    expect([r.code, r.stderr]).toEqual([3, `Error: Invalid port specified (${port}).\n`]);
  });

  it("Debian's default /etc/mosquitto/mosquitto.conf starts (its log file moved to a scratch directory)", async () => {
    // the packaged file when there is one (read only), else its text as Debian ships it
    const shipped = existsSync('/etc/mosquitto/mosquitto.conf')
      ? readFileSync('/etc/mosquitto/mosquitto.conf', 'utf8')
      : 'pid_file /run/mosquitto/mosquitto.pid\npersistence true\npersistence_location /var/lib/mosquitto/\nlog_dest file /var/log/mosquitto/mosquitto.log\ninclude_dir /etc/mosquitto/conf.d\n';
    const log = path.join(scratch, 'debian.log');
    // its persistence store too: a test never writes to /var/lib/mosquitto
    const text = shipped
      .replace(/^log_dest file .*$/m, `log_dest file ${log}`)
      .replace(/^persistence_location .*$/m, `persistence_location ${path.join(scratch, 'debian-store')}/`)
      .replace(/^include_dir .*$/m, (l) => (existsSync(l.slice(12)) ? l : ''));
    const file = confFile('debian.conf', [text]);
    const port = await freePort();
    const b = spawnMqtt(['broker', '-c', file, '-p', String(port)]);
    const exited = b.done.then((r) => {
      throw new Error(`broker exited ${r.code}: ${r.stderr}`);
    });
    await Promise.race([b.waitForStderr(/Warning: Option "pid_file"/), exited]);
    // the log goes to its file: the broker is up once that says so (the store opens first)
    await Promise.race([waitForFileText(log, / running\n/), exited]);
    const pub = await runMqtt(['pub', '-p', String(port), '-t', 'debian', '-m', 'ok']);
    expect(pub.code, pub.stderr).toBe(0);
    b.proc.kill('SIGTERM');
    expect((await b.done).code).toBe(0);
    // log_dest file: the log went to the file, not to stderr
    expect(readFileSync(log, 'utf8')).toMatch(/mqtt broker version .* running/);
    expect(existsSync(path.join(scratch, 'debian-store', 'mqtt-broker.lmdb'))).toBe(true);
  });
});

/** Resolves once `file` exists and matches; fails after the deadline saying what it waited for. */
async function waitForFileText(file: string, test: RegExp, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (existsSync(file) && test.test(readFileSync(file, 'utf8'))) return;
    if (Date.now() > deadline) throw new Error(`${file} did not show ${test} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describeIfTool(['mosquitto'], 'configuration errors: the same words and exit code as Mosquitto', () => {
  it('a misspelt option', async () => {
    const file = confFile('mosq-misspelt.conf', ['listener 1883 127.0.0.1', 'acl_flie acl']);
    const theirs = await runCmd('mosquitto', ['-c', file], { timeoutMs: 10_000 });
    const ours = await runMqtt(['broker', '-c', file], { timeoutMs: 10_000 });
    expect(ours.code).toBe(theirs.code);
    expect(ours.stderr).toBe(untimed(theirs.stderr));
  });

  it('-p -1', async () => {
    const theirs = await runCmd('mosquitto', ['-p', '-1'], { timeoutMs: 10_000 });
    const ours = await runMqtt(['broker', '-p', '-1'], { timeoutMs: 10_000 });
    expect([ours.code, ours.stderr]).toEqual([theirs.code, untimed(theirs.stderr)]);
  });
});

describeIfTool(['openssl', 'mosquitto', 'mosquitto_pub'], 'use_identity_as_username without require_certificate', () => {
  let certs: TestCerts;
  beforeAll(() => {
    certs = makeTestCerts();
    // Mosquitto reads them after dropping root to its own user
    chmodSync(certs.dir, 0o755);
    for (const f of readdirSync(certs.dir)) chmodSync(path.join(certs.dir, f), 0o644);
  });

  const listener = (port: number) => [
    `listener ${port} 127.0.0.1`,
    `cafile ${certs.caCert}`,
    `certfile ${certs.serverCert}`,
    `keyfile ${certs.serverKey}`,
    'use_identity_as_username true',
  ];

  it('a client without a certificate gets CONNACK 4 (v5: 0x86) from both brokers', async () => {
    const mosq = await startMosquitto({ listenerConfig: (port) => listener(port) });
    const port = await freePort();
    const ours = spawnMqtt(['broker', '-c', confFile('identity.conf', listener(port))]);
    await ours.waitForStderr(/ running\n/);
    try {
      for (const version of ['mqttv311', 'mqttv5']) {
        const args = (p: number) => ['-h', 'localhost', '-p', String(p), '--cafile', certs.caCert, '-V', version, '-t', 't', '-m', 'm'];
        const theirs = await runCmd('mosquitto_pub', args(mosq.port));
        const mine = await runCmd('mosquitto_pub', args(port));
        expect(theirs.stderr).toMatch(/bad user name or password/i);
        expect([mine.code, mine.stderr]).toEqual([theirs.code, theirs.stderr]);
      }
    } finally {
      ours.proc.kill('SIGTERM');
      await ours.done;
      await mosq.stop();
    }
  });
});
