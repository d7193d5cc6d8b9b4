import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runCmd, type Running } from '../helpers/cli.js';
import { startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js';
import { makeTestCerts, type TestCerts } from '../helpers/certs.js';
import { startMosquitto, type Mosquitto } from '../helpers/mosquitto.js';
import { describeIfTool } from '../helpers/peers.js';

/** A client certificate from the test CA that expired in 2020, made with `openssl ca`. */
function expiredClientCert(certs: TestCerts): string {
  const p = (n: string) => path.join(certs.dir, n);
  mkdirSync(p('cadb'), { recursive: true });
  writeFileSync(p('cadb/index.txt'), '');
  writeFileSync(p('cadb/serial'), '1000\n');
  writeFileSync(
    p('ca.cnf'),
    `[ca]\ndefault_ca=d\n[d]\ndatabase=${p('cadb/index.txt')}\nnew_certs_dir=${p('cadb')}\nserial=${p('cadb/serial')}\ndefault_md=sha256\npolicy=p\n[p]\ncommonName=supplied\n`,
  );
  const ssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
  ssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=expired', '-keyout', p('expired.key'), '-out', p('expired.csr'));
  ssl('ca', '-batch', '-config', p('ca.cnf'), '-cert', certs.caCert, '-keyfile', path.join(certs.dir, 'test-ca.key'), '-in', p('expired.csr'),
    '-startdate', '20200101000000Z', '-enddate', '20200102000000Z', '-notext', '-out', p('expired.crt'));
  return p('expired.crt');
}

/** A client certificate with the test client's key, signed by the other CA. */
function otherCaClientCert(certs: TestCerts): string {
  const p = (n: string) => path.join(certs.dir, n);
  const ssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
  ssl('req', '-new', '-key', certs.clientKey, '-subj', '/CN=stranger', '-out', p('stranger.csr'));
  ssl('x509', '-req', '-in', p('stranger.csr'), '-CA', certs.otherCaCert, '-CAkey', path.join(certs.dir, 'other-ca.key'), '-CAcreateserial', '-days', '2', '-out', p('stranger.crt'));
  return p('stranger.crt');
}

/**
 * Failed handshakes in a log, each as [OpenSSL line, client line], time stamps dropped. Mosquitto
 * words it one of two ways, by whether the bytes came with the accept: "OpenSSL Error[0]: E" then
 * "Client <unknown> disconnected: Protocol error.", or "Client connection from A failed: E.";
 * the second is read as the first.
 */
function failures(log: string): string[][] {
  const events: string[][] = [];
  let openssl: string | undefined;
  for (const raw of log.split('\n')) {
    const line = raw.replace(/^\d+: /, '');
    const failed = /^Client connection from \S+ failed: (.*)\.$/.exec(line);
    if (failed) events.push([`OpenSSL Error[0]: ${failed[1]}`, 'Client <unknown> disconnected: Protocol error.']);
    else if (line.startsWith('OpenSSL Error[0]: ')) openssl = line;
    else if (line.startsWith('Client <unknown> ')) {
      events.push([openssl ?? '', line]);
      openssl = undefined;
    }
  }
  return events;
}

/** The failure logged after the first `before` ones, once it is there. */
async function failureAfter(log: () => string, waitFor: (test: (text: string) => boolean) => Promise<unknown>, before: number): Promise<string[]> {
  await waitFor((text) => failures(text).length > before);
  return failures(log())[before]!;
}

/** Mosquitto's waitForLog takes a pattern: this one matches when the test passes on the whole log. */
function waitUntil(mosq: Mosquitto, test: (text: string) => boolean): Promise<void> {
  return mosq.waitForLog({ test } as unknown as RegExp);
}

describeIfTool(['openssl', 'mosquitto', 'mosquitto_pub'], 'failed TLS handshakes are logged with the reason, as Mosquitto logs them', () => {
  let certs: TestCerts;
  let ours: BrokerProcess;
  let mosq: Mosquitto;
  let expired: string;
  let stranger: string;
  beforeAll(async () => {
    certs = makeTestCerts();
    expired = expiredClientCert(certs);
    stranger = otherCaClientCert(certs);
    // Mosquitto reads them after dropping root to its own user
    chmodSync(certs.dir, 0o755);
    for (const f of readdirSync(certs.dir)) chmodSync(path.join(certs.dir, f), 0o755);
    const tlsListener = (port: number) => [
      `listener ${port} 127.0.0.1`,
      `cafile ${certs.caCert}`,
      `certfile ${certs.serverCert}`,
      `keyfile ${certs.serverKey}`,
      'require_certificate true',
      'allow_anonymous true',
    ];
    // default log types: errors and notices, no -v needed
    ours = await startBrokerProcess((_dir, port) => tlsListener(port));
    mosq = await startMosquitto({ listenerConfig: (port) => tlsListener(port) });
  });
  afterAll(async () => {
    await ours?.stop();
    await mosq?.stop();
  });

  const cases: Array<[string, () => string[], RegExp]> = [
    ['no client certificate', () => ['--cafile', certs.caCert], /peer did not return a certificate$/],
    ['a certificate from another CA', () => ['--cafile', certs.caCert, '--cert', stranger, '--key', certs.clientKey], /certificate verify failed \(unable to verify the first certificate\)$/],
    ['an expired certificate', () => ['--cafile', certs.caCert, '--cert', expired, '--key', path.join(certs.dir, 'expired.key')], /certificate verify failed \(certificate has expired\)$/],
    ['plain MQTT on the TLS port', () => [], /wrong version number$/],
    ['a client that does not trust the server', () => ['--cafile', certs.otherCaCert, '--cert', certs.clientCert, '--key', certs.clientKey], /alert unknown ca$/],
  ];

  let n = 0;
  it.each(cases)('%s', async (_name, args, ourReason) => {
    const before = n++;
    const pubArgs = (port: number) => ['-h', 'localhost', '-p', String(port), ...args(), '-t', 't', '-m', 'm'];
    const [theirPub, ourPub] = await Promise.all([runCmd('mosquitto_pub', pubArgs(mosq.port)), runCmd('mosquitto_pub', pubArgs(ours.port))]);
    expect(theirPub.code).not.toBe(0);
    expect(ourPub.code).not.toBe(0);
    const theirs = await failureAfter(mosq.log, (test) => waitUntil(mosq, test), before);
    const mine = await failureAfter(() => ours.proc.stderr, (test) => (ours.proc as Running).waitForStderr(test), before);
    expect(mine[0]).toMatch(ourReason);
    // Mosquitto's words first; ours may add the reason a certificate failed in parentheses
    expect(mine[0]!.startsWith(theirs[0]!), `${mine[0]} vs ${theirs[0]}`).toBe(true);
    expect(mine[1]).toBe(theirs[1]);
  });

  it('a good certificate still connects', async () => {
    const r = await runCmd('mosquitto_pub', ['-h', 'localhost', '-p', String(ours.port), '--cafile', certs.caCert, '--cert', certs.clientCert, '--key', certs.clientKey, '-t', 't', '-m', 'm']);
    expect(r.code, r.stderr).toBe(0);
  });
});
