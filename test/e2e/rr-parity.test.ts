/**
 * `mqtt rr` next to the real mosquitto_rr 2.0: the same request against the same responder (and
 * the same Mosquitto) gives the same stdout bytes, stderr and exit code. Then what is ours alone:
 * -f/-s send their data, -R, --json with latency, --count, the "no responder" warning.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunOptions, type RunResult, spawnCmd, spawnMqtt } from '../helpers/cli.js';
import { startMosquitto, type Mosquitto } from '../helpers/mosquitto.js';
import { describeIfTool } from '../helpers/peers.js';
import { freePort } from '../helpers/ports.js';
import { CLEAN_ENV, publish, scratchFiles, uniqueId, type Tool } from '../helpers/pubsub.js';
import { startResponder, type Responder } from '../helpers/responder.js';

function runRr(tool: Tool, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  const o = { input: '', ...opts, env: { ...CLEAN_ENV, ...opts.env } };
  return (tool === 'mqtt' ? spawnMqtt(['rr', ...args], o) : spawnCmd('mosquitto_rr', args, o)).done;
}

interface Seen {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** stdout as latin1 (every byte shows in a diff), program names made ours. */
function seen(r: RunResult, dropDebugDisconnect = false): Seen {
  let stdout = r.stdout.toString('latin1');
  // mosquitto_rr 2.0 closes the socket without DISCONNECT after the answer; we send one (see rr-run.ts)
  if (dropDebugDisconnect) stdout = stdout.replace(/^Client \S+ sending DISCONNECT\n/m, '');
  return { code: r.code, signal: r.signal, stdout, stderr: r.stderr.replace(/mosquitto_rr/g, 'mqtt rr') };
}

/** The same arguments through mosquitto_rr and mqtt rr, one after the other (one responder). */
async function side(args: string[], opts: RunOptions & { debug?: boolean } = {}): Promise<{ mosquitto: Seen; mqtt: Seen }> {
  const mosquitto = seen(await runRr('mosquitto', args, opts), opts.debug);
  const mqtt = seen(await runRr('mqtt', args, opts), opts.debug);
  return { mosquitto, mqtt };
}

describeIfTool(['mosquitto', 'mosquitto_rr', 'mosquitto_pub'], 'mqtt rr against mosquitto_rr 2.0 (same responder, same Mosquitto)', () => {
  let broker: Mosquitto;
  let responder: Responder;
  let at: string[];

  beforeAll(async () => {
    broker = await startMosquitto();
    responder = await startResponder(broker.port);
    at = ['-h', '127.0.0.1', '-p', String(broker.port)];
  });
  afterAll(async () => {
    await responder?.stop();
    await broker?.stop();
  });

  const cases: Array<[string, string[]]> = [
    ['default output', ['-m', 'ping']],
    ['-v', ['-m', 'ping', '-v']],
    ['-N', ['-m', 'ping', '-N']],
    ['-n (empty request)', ['-n', '-v']],
    ['-q 1', ['-m', 'ping', '-q', '1', '-v']],
    ['-q 2', ['-m', 'ping', '-q', '2', '-v']],
    ['-F with v5 properties of the response', ['-m', 'ping', '-F', '%t|%p|%q|%C|%P|%l']],
    ['-F %x, -N', ['-m', 'x', '-F', '%x', '-N']],
    ['-D publish correlation-data, echoed in %D', ['-m', 'ping', '-D', 'publish', 'correlation-data', 'c0ffee', '-F', '%D %p']],
    ['-D publish user-property', ['-m', 'ping', '-D', 'publish', 'user-property', 'a', 'b', '-v']],
    ['-V 311 (no response-topic property)', ['-m', 'ping', '-V', '311', '-v']],
    ['-L URL', []],
  ];

  for (const [name, args] of cases) {
    it(`${name}: same stdout, stderr and exit code`, async () => {
      const id = uniqueId('rr');
      const topic = `rq/${id}`;
      const response = `rs/${id}`;
      const where = name === '-L URL' ? ['-L', `mqtt://127.0.0.1:${broker.port}/${topic}`, '-m', 'url'] : [...at, '-t', topic];
      const r = await side([...where, '-e', response, ...args]);
      expect(r.mosquitto.code, r.mosquitto.stderr).toBe(0);
      expect(r.mqtt).toEqual(r.mosquitto);
    });
  }

  it('-d: the same debug lines (less our closing DISCONNECT, which mosquitto_rr 2.0 never sends)', async () => {
    const id = uniqueId('rrd');
    const r = await side([...at, '-t', `rq/${id}`, '-e', `rs/${id}`, '-m', 'ping', '-q', '1', '-d', '-i', id], { debug: true });
    expect(r.mosquitto.stdout).toContain(`Client ${id} sending PUBLISH (d0, q1, r0, m2, 'rq/${id}', ... (4 bytes))`);
    expect(r.mqtt).toEqual(r.mosquitto);
  });

  it('a retained message on the response topic is the answer, before any request', async () => {
    const id = uniqueId('rret');
    await publish(broker, ['-t', `rs/${id}`, '-m', 'stale', '-r']);
    const r = await side([...at, '-t', `nobody/${id}`, '-e', `rs/${id}`, '-m', 'ping', '-v']);
    expect(r.mosquitto.stdout).toBe(`rs/${id} stale\n`);
    expect(r.mqtt).toEqual(r.mosquitto);
  });

  it('-W without a responder: "Timed out", exit 27', async () => {
    const id = uniqueId('rrw');
    const r = await side([...at, '-t', `nobody/${id}`, '-e', `rs/${id}`, '-m', 'ping', '-W', '1']);
    expect(r.mosquitto).toEqual({ code: 27, signal: null, stdout: '', stderr: 'Timed out\n' });
    expect(r.mqtt).toEqual(r.mosquitto);
  });

  it('nothing listening: the connect error, exit 1', async () => {
    const port = await freePort();
    const r = await side(['-h', '127.0.0.1', '-p', String(port), '-t', 'rq/x', '-e', 'rs/x', '-m', 'ping']);
    expect(r.mosquitto).toEqual({ code: 1, signal: null, stdout: '', stderr: 'Error: Connection refused\n' });
    expect(r.mqtt).toEqual(r.mosquitto);
  });

  it('missing -e: the usage error, exit 1', async () => {
    const r = await side([...at, '-t', 'rq/x', '-m', 'ping']);
    expect(r.mosquitto.code).toBe(1);
    expect(r.mqtt).toEqual(r.mosquitto);
  });

  it('-D publish response-topic next to -e: a duplicate, exit 1', async () => {
    const r = await side([...at, '-t', 'rq/x', '-e', 'rs/x', '-m', 'ping', '-D', 'publish', 'response-topic', 'rs/y']);
    expect(r.mosquitto.code).toBe(1);
    expect(r.mqtt).toEqual(r.mosquitto);
  });

  it('the broker goes away while waiting: "Error: The connection was lost.", exit 7', async () => {
    const gone = await startMosquitto();
    const ids = { mosquitto: uniqueId('rrlost-m'), mqtt: uniqueId('rrlost-q') };
    const args = (id: string) => ['-h', '127.0.0.1', '-p', String(gone.port), '-i', id, '-t', `nobody/${id}`, '-e', `rs/${id}`, '-m', 'ping'];
    const running = {
      mosquitto: spawnCmd('mosquitto_rr', args(ids.mosquitto), { env: CLEAN_ENV }),
      mqtt: spawnMqtt(['rr', ...args(ids.mqtt)], { env: CLEAN_ENV }),
    };
    try {
      // both subscribed and their requests out: Mosquitto has logged the PUBLISH of each
      await gone.waitForLog(`Received PUBLISH from ${ids.mosquitto}`);
      await gone.waitForLog(`Received PUBLISH from ${ids.mqtt}`);
    } finally {
      await gone.stop();
    }
    const mosquitto = seen(await running.mosquitto.done);
    const mqtt = seen(await running.mqtt.done);
    expect(mosquitto).toEqual({ code: 7, signal: null, stdout: '', stderr: 'Error: The connection was lost.\n' });
    expect(mqtt).toEqual(mosquitto);
  });

  describe('a broker that refuses the connection', () => {
    let closed: Mosquitto;
    beforeAll(async () => {
      closed = await startMosquitto({ config: ['allow_anonymous false'], listenerConfig: (port) => [`listener ${port} 127.0.0.1`] });
    });
    afterAll(async () => closed?.stop());

    for (const version of ['5', '311']) {
      it(`-V ${version}: the CONNACK code as exit status, mosquitto_rr's words`, async () => {
        const r = await side(['-h', '127.0.0.1', '-p', String(closed.port), '-V', version, '-t', 'rq/x', '-e', 'rs/x', '-m', 'ping']);
        expect(r.mosquitto.code).toBe(version === '5' ? 135 : 5);
        expect(r.mqtt).toEqual(r.mosquitto);
      });
    }
  });

  describe('beyond mosquitto_rr', () => {
    it('-f and -s send the data (mosquitto_rr 2.0 sends an empty request)', async () => {
      const files = scratchFiles('rr');
      try {
        const id = uniqueId('rrf');
        const file = files.file('req.bin', Buffer.from([0, 1, 2, 0xff]));
        const f = await runRr('mqtt', [...at, '-t', `rq/${id}`, '-e', `rs/${id}`, '-f', file, '-F', '%x']);
        expect(f.stdout.toString()).toBe(`706f6e673a000102ff\n`);
        const s = await runRr('mqtt', [...at, '-t', `rq/${id}`, '-e', `rs/${id}`, '-s'], { input: 'from stdin' });
        expect(s.stdout.toString()).toBe('pong:from stdin\n');
      } finally {
        files.remove();
      }
    });

    it('-R skips a retained message on the response topic and waits for the real answer', async () => {
      const id = uniqueId('rrR');
      await publish(broker, ['-t', `rs/${id}`, '-m', 'stale', '-r']);
      const r = await runRr('mqtt', [...at, '-t', `rq/${id}`, '-e', `rs/${id}`, '-m', 'ping', '-R', '-W', '5']);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout.toString()).toBe('pong:ping\n');
    });

    it('--json: one record with the round-trip latency', async () => {
      const id = uniqueId('rrj');
      const r = await runRr('mqtt', [...at, '-t', `rq/${id}`, '-e', `rs/${id}`, '-m', 'ping', '--json']);
      expect(r.code, r.stderr).toBe(0);
      const record = JSON.parse(r.stdout.toString());
      expect(Object.keys(record).slice(0, 3)).toEqual(['time', 'latencyMs', 'topic']);
      expect(record.latencyMs).toBeGreaterThan(0);
      expect(record).toMatchObject({ topic: `rs/${id}`, payload: 'pong:ping', qos: 0, properties: { 'content-type': 'text/plain' } });
    });

    it('--count 5: five requests in turn, five answers, percentiles on stderr (and as JSON with --json)', async () => {
      const id = uniqueId('rrc');
      const before = responder.requests.length;
      const r = await runRr('mqtt', [...at, '-t', `rq/${id}`, '-e', `rs/${id}`, '-m', 'ping', '--count', '5', '-F', '%p %P']);
      expect(r.code, r.stderr).toBe(0);
      expect(responder.requests.length - before).toBe(5);
      expect(r.stdout.toString()).toBe('pong:ping who:responder qos:0\n'.repeat(5));
      expect(r.stderr).toMatch(/^5 requests, 5 responses; latency ms: min [\d.]+ p50 [\d.]+ p90 [\d.]+ p99 [\d.]+ max [\d.]+ mean [\d.]+\n$/);
      const j = await runRr('mqtt', [...at, '-t', `rq/${id}`, '-e', `rs/${id}`, '-m', 'ping', '--count', '3', '--json']);
      const lines = j.stdout.toString().trim().split('\n').map((l) => JSON.parse(l));
      expect(lines).toHaveLength(4);
      expect(lines[3]).toMatchObject({ requests: 3, responses: 3 });
      expect(lines[3].latencyMs.p50).toBeGreaterThan(0);
    });

    it('QoS 1 request nobody subscribes to: a clear warning, then -W as usual', async () => {
      const id = uniqueId('rrn');
      const r = await runRr('mqtt', [...at, '-t', `nobody/${id}`, '-e', `rs/${id}`, '-m', 'ping', '-q', '1', '-W', '1']);
      expect(r.code).toBe(27);
      expect(r.stderr).toBe(`Warning: No matching subscribers for the request on 'nobody/${id}': no responder is listening.\nTimed out\n`);
    });
  });
});
