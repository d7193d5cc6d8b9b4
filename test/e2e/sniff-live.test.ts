import { spawn } from 'node:child_process';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { MQTT_BIN, runCmd, runMqtt, spawnCmd, spawnMqtt, type Running } from '../helpers/cli.js';
import { startMosquitto, type Mosquitto } from '../helpers/mosquitto.js';
import { describeIfTool, hasTool } from '../helpers/peers.js';
import { captureDir } from '../helpers/sniff-files.js';
import { describeIfLiveCapture } from '../helpers/live-capture.js';

const jsonRows = (out: Buffer) => out.toString().trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
const conversation = (rows: Array<Record<string, unknown>>) => rows.map((r) => `${r.dir} ${r.type}`);
const QOS1_SESSION = ['c2s CONNECT', 's2c CONNACK', 'c2s PUBLISH', 's2c PUBACK', 'c2s DISCONNECT'];

describeIfLiveCapture('sniff live capture', () => {
  describeIfTool(['mosquitto', 'mosquitto_pub'], 'sniff live capture on lo', () => {
    let broker: Mosquitto;
    const saved = captureDir();
    beforeAll(async () => {
      broker = await startMosquitto();
    });
    afterAll(async () => {
      await broker?.stop();
    });

    /** mosquitto_pub once, QoS 1, after the sniffer said it is listening (no sleeps). */
    async function publishWhenListening(sniff: Running, clientId: string, iface = 'lo'): Promise<void> {
      await sniff.waitForStderr(new RegExp(`^listening on ${iface}, link type`, 'm'));
      const pub = await runCmd('mosquitto_pub', ['-p', String(broker.port), '-i', clientId, '-t', 'live/t', '-m', 'hello', '-q', '1']);
      expect(pub.code).toBe(0);
    }

    it.each(['lo', 'any'])('mqtt sniff -i %s -c 5 port P: the mosquitto_pub conversation, as it happens', async (iface) => {
      const port = broker.port;
      const sniff = spawnMqtt(['sniff', '-i', iface, '--json', '-c', '5', 'port', String(port)]);
      await publishWhenListening(sniff, 'live-test', iface);
      const result = await sniff.done;
      expect(result.code).toBe(0);
      const rows = jsonRows(result.stdout);
      expect(conversation(rows)).toEqual(QOS1_SESSION);
      expect(rows.every((r) => r.clientId === 'live-test')).toBe(true);
      expect(rows[2]).toMatchObject({ topic: 'live/t', qos: 1, payloadLength: 5, dst: `127.0.0.1:${port}`, version: 4 });
      expect(rows[3]).toMatchObject({ type: 'PUBACK', packetId: rows[2]!.packetId, latencyMs: expect.any(Number) });
      // live timestamps come from the clock: they must be now, not zero
      expect(Math.abs((rows[0]!.time as number) - Date.now() / 1000)).toBeLessThan(30);
      expect(result.stderr).toMatch(/^Summary$/m);
    });

    it('-w saves what was captured live, and -r reads it back to the same packets', async () => {
      const file = saved('live.pcap');
      const sniff = spawnMqtt(['sniff', '-i', 'lo', '--json', '-q', '-c', '5', '-w', file, `tcp port ${broker.port}`]);
      await publishWhenListening(sniff, 'live-saved');
      const live = await sniff.done;
      expect(live.code).toBe(0);
      const again = await runMqtt(['sniff', '-r', file, '--json', '-q']);
      expect(again.code).toBe(0);
      const strip = (rows: Array<Record<string, unknown>>) => rows.map(({ conn: _c, ...rest }) => rest);
      expect(strip(jsonRows(again.stdout))).toEqual(strip(jsonRows(live.stdout)));
      if (hasTool('tshark')) {
        const t = await runCmd('tshark', ['-r', file, '-d', `tcp.port==${broker.port},mqtt`, '-Y', 'mqtt', '-T', 'fields', '-e', 'mqtt.msgtype']);
        expect(t.stdout.toString().trim().split('\n')).toEqual(['1', '2', '3', '4', '14']);
      }
    });

    it('Ctrl-C ends a live capture with the summary', async () => {
      const sniff = spawnMqtt(['sniff', '-i', 'lo', `port ${broker.port}`]);
      await publishWhenListening(sniff, 'live-interrupted');
      await sniff.waitForStdout(/DISCONNECT/);
      sniff.kill('SIGINT');
      const r = await sniff.done;
      expect(r.code).toBe(0);
      expect(r.stdout.toString()).toMatch(/\[live-interrupted\] PUBLISH q1 id=\d+ "live\/t" \(5 bytes\) "hello"/);
      expect(r.stderr).toMatch(/5 MQTT packets/);
      expect(r.stderr).toMatch(/PUBLISH->PUBACK +1 ack: p50/);
    });

    it.runIf(hasTool('tcpdump'))('tcpdump -w - | mqtt sniff -r - decodes as the capture arrives', async () => {
      const dump = spawnCmd('tcpdump', ['-i', 'lo', '-U', '--immediate-mode', '-w', '-', 'tcp', 'port', String(broker.port)]);
      const sniff = spawn(process.execPath, [MQTT_BIN, 'sniff', '-r', '-', '--json', '-q'], { stdio: ['pipe', 'pipe', 'pipe'] });
      dump.proc.stdout!.pipe(sniff.stdin);
      let out = '';
      // the packets arrive through the pipe while tcpdump still runs
      const sawDisconnect = new Promise<void>((resolve) =>
        sniff.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          if (out.includes('"DISCONNECT"')) resolve();
        }),
      );
      const ended = new Promise<number | null>((resolve) => sniff.on('close', resolve));
      await dump.waitForStderr(/listening on lo/);
      const pub = await runCmd('mosquitto_pub', ['-p', String(broker.port), '-i', 'piped', '-t', 'live/t', '-m', 'hello', '-q', '1']);
      expect(pub.code).toBe(0);
      await sawDisconnect;
      dump.kill('SIGINT');
      expect(await ended).toBe(0);
      expect(conversation(jsonRows(Buffer.from(out)))).toEqual(QOS1_SESSION);
    });
  });
});
