import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCmd, spawnMqtt } from '../helpers/cli.js';
import { startMosquitto, type Mosquitto } from '../helpers/mosquitto.js';
import { describeIfTool } from '../helpers/peers.js';

/** Why live capture cannot be tested here, or null when it can. */
function liveCaptureBlocker(): string | null {
  if (process.getuid?.() !== 0) return 'not running as root';
  try {
    createRequire(import.meta.url)('cap');
    return null;
  } catch (err) {
    return `cap does not load (${(err as Error).message.split('\n')[0]})`;
  }
}

const blocker = liveCaptureBlocker();
if (blocker) {
  if (process.env.MQTT_REQUIRE_PEERS === '1') {
    describe('sniff live capture', () => {
      it('needs root and cap', () => {
        throw new Error(`live capture required but ${blocker} (MQTT_REQUIRE_PEERS=1)`);
      });
    });
  } else {
    process.stderr.write(`\n*** SKIPPING "sniff live capture": ${blocker} ***\n\n`);
  }
}

if (!blocker) {
  describeIfTool(['mosquitto', 'mosquitto_pub'], 'sniff live capture on lo', () => {
    let broker: Mosquitto;
    beforeAll(async () => {
      broker = await startMosquitto();
    });
    afterAll(async () => {
      await broker?.stop();
    });

    it('decodes a mosquitto_pub conversation as it happens, and -c ends the capture', async () => {
      const port = String(broker.port);
      const sniff = spawnMqtt(['sniff', '-i', 'lo', '-f', `tcp port ${port}`, '-p', port, '--json', '-c', '5']);
      await sniff.waitForStderr(/listening on lo/);
      const pub = await runCmd('mosquitto_pub', ['-p', port, '-i', 'live-test', '-t', 'live/t', '-m', 'hello', '-q', '1']);
      expect(pub.code).toBe(0);
      const result = await sniff.done;
      expect(result.code).toBe(0);
      const rows = result.stdout.toString().trim().split('\n').map((l) => JSON.parse(l));
      expect(rows.map((r) => `${r.dir} ${r.type}`)).toEqual(['c2s CONNECT', 's2c CONNACK', 'c2s PUBLISH', 's2c PUBACK', 'c2s DISCONNECT']);
      expect(rows[0].clientId).toBe('live-test');
      expect(rows[2]).toMatchObject({ topic: 'live/t', qos: 1, payloadLength: 5, dport: broker.port });
      // live timestamps come from the clock: they must be now, not zero
      expect(Math.abs(Number(rows[0].ts) - Date.now() / 1000)).toBeLessThan(30);
    });
  });
}
