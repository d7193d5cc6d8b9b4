/**
 * TLS against a real Mosquitto with certificates made by openssl for the test: one listener with
 * a server certificate for "localhost", one that also requires a client certificate. mqtt pub/sub
 * must connect where mosquitto_pub/mosquitto_sub connect and fail where they fail, with one clear
 * line and an exit code mosquitto uses.
 */
import { chmodSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunResult } from '../helpers/cli.js';
import { makeTestCerts, type TestCerts } from '../helpers/certs.js';
import { type Mosquitto, startMosquitto } from '../helpers/mosquitto.js';
import { describeIfTool } from '../helpers/peers.js';
import { freePort } from '../helpers/ports.js';
import {
  at,
  both,
  expectSameOutcome,
  MOSQUITTO_PEERS,
  outcome,
  runClient,
  startSub,
  subsSideBySide,
  TOOLS,
  uniqueId,
  VERSIONS,
} from '../helpers/pubsub.js';

/** The two ways mosquitto_pub/sub 2.0 report a TLS failure (which one is a race inside libmosquitto). */
const MOSQUITTO_TLS_FAILURE = /^(Unable to connect \(A TLS error occurred\.\)\.\n|Error: A TLS error occurred\.\n)$/;
/** Ours: the first form, with OpenSSL's or Node's reason in it. */
const OUR_TLS_FAILURE = /^Unable to connect \(A TLS error occurred: [^\n]+\)\.\n$/;

describeIfTool([...MOSQUITTO_PEERS, 'openssl'], 'TLS with openssl-made certificates, mqtt next to mosquitto_pub/mosquitto_sub', () => {
  let certs: TestCerts;
  let broker: Mosquitto;
  let tlsPort: number;
  let mtlsPort: number;

  beforeAll(async () => {
    certs = makeTestCerts();
    // Mosquitto started as root reads them as its own user
    chmodSync(certs.dir, 0o755);
    for (const name of readdirSync(certs.dir)) chmodSync(path.join(certs.dir, name), 0o644);
    [tlsPort, mtlsPort] = await Promise.all([freePort(), freePort()]);
    const serverTls = [`cafile ${certs.caCert}`, `certfile ${certs.serverCert}`, `keyfile ${certs.serverKey}`];
    broker = await startMosquitto({
      listenerConfig: (port) => [
        `listener ${port} 127.0.0.1`,
        `listener ${tlsPort} 127.0.0.1`,
        ...serverTls,
        `listener ${mtlsPort} 127.0.0.1`,
        ...serverTls,
        'require_certificate true',
        'allow_anonymous true',
      ],
    });
  });
  afterAll(async () => {
    await broker?.stop();
    if (certs) rmSync(certs.dir, { recursive: true, force: true });
  });

  const tls = (port: () => number, host = 'localhost') => () => ['-h', host, '-p', String(port()), '--cafile', certs.caCert];
  const server = tls(() => tlsPort);
  const withClientCert = () => [...tls(() => mtlsPort)(), '--cert', certs.clientCert, '--key', certs.clientKey];

  for (const version of VERSIONS) {
    describe(version.name, () => {
      it('--cafile: subscribers and publishers on the TLS listener see the same bytes as over TCP', async () => {
        const t = `tls/${uniqueId('rt')}`;
        const r = await subsSideBySide(broker, [...version.args, '-t', t, '-C', '2', '-v'], async () => {
          for (const tool of TOOLS) {
            const pub = await runClient(tool, 'pub', [...server(), ...version.args, '-t', t, '-q', '1', '-m', `from ${tool}`]);
            expect(outcome(pub), tool).toMatchObject({ code: 0, stderr: '' });
          }
        });
        // subsSideBySide subscribes over plain TCP: now the same over TLS
        expectSameOutcome(r.mqtt, r.mosquitto);
        expect(r.mqtt.stdout.toString()).toBe(`${t} from mosquitto\n${t} from mqtt\n`);

        const overTls = await both((tool) => startSub(broker, tool, [...server(), ...version.args, '-t', t, '-C', '1', '-F', '%t %q %p']));
        await runClient('mosquitto', 'pub', [...server(), '-t', t, '-q', '2', '-m', 'secret']);
        const seen = await both((tool) => overTls[tool].done);
        expectSameOutcome(seen.mqtt, seen.mosquitto);
        expect(seen.mqtt.stdout.toString()).toBe(`${t} 0 secret\n`);
      });

      it('--cert/--key: a listener that requires a client certificate accepts ours', async () => {
        const t = `tls/${uniqueId('mtls')}`;
        const subs = await both((tool) => startSub(broker, tool, [...withClientCert(), ...version.args, '-t', t, '-C', '1', '-v']));
        const pubs = await both((tool) => runClient(tool, 'pub', [...withClientCert(), ...version.args, '-t', `${t}/${tool}`, '-m', 'x']));
        expectSameOutcome(pubs.mqtt, pubs.mosquitto);
        expect(pubs.mqtt.code).toBe(0);
        await runClient('mosquitto', 'pub', [...withClientCert(), '-t', t, '-m', 'mutual']);
        const seen = await both((tool) => subs[tool].done);
        expectSameOutcome(seen.mqtt, seen.mosquitto);
        expect(seen.mqtt.stdout.toString()).toBe(`${t} mutual\n`);
      });
    });
  }

  /** Both tools with the same failing arguments: ours must fail with one line, exit 1. */
  async function bothFail(kind: 'pub' | 'sub', args: string[], codes = [1]): Promise<Record<'mosquitto' | 'mqtt', RunResult>> {
    const r = await both((tool) => runClient(tool, kind, [...args, ...(kind === 'pub' ? ['-t', 'tls/x', '-m', 'x'] : ['-t', 'tls/x'])]));
    expect(r.mosquitto.code).not.toBe(0);
    expect(codes).toContain(r.mqtt.code);
    expect(r.mqtt.stdout.length).toBe(0);
    expect(r.mqtt.stderr).toMatch(/^[^\n]+\n$/);
    return r;
  }

  it.each(['pub', 'sub'] as const)('%s: a server certificate from another CA fails verification', async (kind) => {
    const r = await bothFail(kind, ['-h', 'localhost', '-p', String(tlsPort), '--cafile', certs.otherCaCert]);
    expect(r.mosquitto.stderr).toMatch(MOSQUITTO_TLS_FAILURE);
    expect(r.mqtt.stderr).toMatch(OUR_TLS_FAILURE);
    expect(r.mqtt.stderr).toMatch(/certificate/);
  });

  it.each(['pub', 'sub'] as const)('%s --insecure skips only the host name check', async (kind) => {
    const byIp = ['-h', '127.0.0.1', '-p', String(tlsPort), '--cafile', certs.caCert];
    // the certificate names "localhost" only: 127.0.0.1 does not match
    const strict = await bothFail(kind, byIp);
    expect(strict.mosquitto.stderr).toMatch(MOSQUITTO_TLS_FAILURE);
    expect(strict.mqtt.stderr).toMatch(OUR_TLS_FAILURE);
    expect(strict.mqtt.stderr).toMatch(/127\.0\.0\.1/);
    // --insecure: connects (sub -E: exits after its SUBACK)
    const insecure = await both((tool) => runClient(tool, kind, [...byIp, '--insecure', '-t', 'tls/x', ...(kind === 'pub' ? ['-m', 'x'] : ['-E'])]));
    expectSameOutcome(insecure.mqtt, insecure.mosquitto);
    expect(outcome(insecure.mqtt)).toMatchObject({ code: 0, stderr: '' });
    // and the chain is still verified
    const wrongCa = await bothFail(kind, ['-h', '127.0.0.1', '-p', String(tlsPort), '--cafile', certs.otherCaCert, '--insecure']);
    expect(wrongCa.mqtt.stderr).toMatch(OUR_TLS_FAILURE);
  });

  it.each(['pub', 'sub'] as const)('%s: no client certificate where one is required: one line, exit 1 or 7', async (kind) => {
    // The server's alert may be read, or lost to the reset that follows it: mosquitto says
    // "Error: Protocol error" (1) or "Error: The connection was lost." (7); ours the alert (1) or
    // the same lost connection (7)
    const r = await bothFail(kind, tls(() => mtlsPort)(), [1, 7]);
    expect(r.mosquitto.stderr).toMatch(/^Error: (Protocol error|The connection was lost\.)\n$/);
    if (r.mqtt.code === 1) expect(r.mqtt.stderr).toMatch(OUR_TLS_FAILURE);
    else expect(r.mqtt.stderr).toBe('Error: The connection was lost.\n');
  });

  it('pub/sub with TLS against the plain listener: a TLS error, one line, exit 1', async () => {
    for (const kind of ['pub', 'sub'] as const) {
      const r = await bothFail(kind, ['-h', 'localhost', ...at(broker).slice(2), '--cafile', certs.caCert]);
      expect(r.mosquitto.stderr).toMatch(MOSQUITTO_TLS_FAILURE);
      expect(r.mqtt.stderr).toBe('Unable to connect (A TLS error occurred: Connection reset by peer).\n');
    }
  });

  it('pub without TLS against the TLS listener: "Error: The connection was lost.", exit 7', async () => {
    const r = await both((tool) => runClient(tool, 'pub', ['-h', 'localhost', '-p', String(tlsPort), '-t', 'tls/x', '-m', 'x']));
    expectSameOutcome(r.mqtt, r.mosquitto);
    expect(outcome(r.mqtt)).toMatchObject({ code: 7, stderr: 'Error: The connection was lost.\n' });
  });

  // mosquitto_sub 2.0.11 reconnects forever here, silently (its loop retries a connection lost
  // before CONNACK); ours gives up at once with mosquitto_pub's line and code.
  it('sub without TLS against the TLS listener: "Error: The connection was lost.", exit 7 (no endless retry)', async () => {
    const r = await runClient('mqtt', 'sub', ['-h', 'localhost', '-p', String(tlsPort), '-t', 'tls/x']);
    expect(outcome(r)).toMatchObject({ code: 7, stdout: '', stderr: 'Error: The connection was lost.\n' });
  });
});
