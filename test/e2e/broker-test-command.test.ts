/**
 * `mqtt test` against our broker and a real Mosquitto: every feature probe passes on both, and
 * the only differences are the ones we know: timings, and the topic depth Mosquitto 2.0 accepts
 * (it refuses more than 200 levels; we have no such limit).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runMqtt } from '../helpers/cli.js';
import { startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js';
import { startMosquitto, type Mosquitto } from '../helpers/mosquitto.js';
import { describeIfTool } from '../helpers/peers.js';
import { CLEAN_ENV } from '../helpers/pubsub.js';
import { testTable, type TestReport } from '../../src/output/test-report.js';

const TIMINGS = ['connect time ms', 'round-trip latency ms (p50 of 20)'];

describeIfTool(['mosquitto'], 'mqtt test: what does this broker support?', () => {
  let ours: BrokerProcess;
  let mosquitto: Mosquitto;
  beforeAll(async () => {
    [ours, mosquitto] = await Promise.all([startBrokerProcess(), startMosquitto()]);
  });
  afterAll(async () => {
    await Promise.all([ours?.stop(), mosquitto?.stop()]);
  });

  async function probe(port: number): Promise<TestReport> {
    const r = await runMqtt(['test', '-h', '127.0.0.1', '-p', String(port), '--json', '--wait', '1000'], { env: CLEAN_ENV, timeoutMs: 60_000 });
    expect(r.code, r.stderr).toBe(0);
    return JSON.parse(r.stdout.toString()) as TestReport;
  }

  it('both brokers pass every feature probe; they differ only in timings and the topic depth Mosquitto allows', async () => {
    const mine = await probe(ours.port);
    const theirs = await probe(mosquitto.port);
    // the closing note quotes these
    process.stdout.write(`\nmqtt test, our broker:\n${testTable(mine)}\nmqtt test, Mosquitto 2.0:\n${testTable(theirs)}\n`);
    expect(Object.keys(mine.results)).toEqual(['3.1.1', '5.0']);
    for (const report of [mine, theirs]) {
      for (const [version, row] of Object.entries(report.results)) {
        for (const [name, value] of Object.entries(row)) {
          if (typeof value === 'boolean') expect(value, `${report.broker} ${version} ${name}`).toBe(true);
        }
        expect(row.connect).toBe('ok');
        expect(row['max client id length']).toBe('>= 65535');
        expect(row['max topic length']).toBe('>= 65535');
      }
    }
    const differences: string[] = [];
    for (const [version, row] of Object.entries(mine.results)) {
      for (const [name, value] of Object.entries(row)) {
        if (!TIMINGS.includes(name) && theirs.results[version]![name] !== value) differences.push(`${version} ${name}: ${String(theirs.results[version]![name])} vs ${String(value)}`);
      }
    }
    expect(differences).toEqual(['3.1.1 max topic levels: 128 vs >= 1024', '5.0 max topic levels: 128 vs >= 1024']);
  }, 120_000);

  it('a broker that is not there: status 1 and why', async () => {
    const r = await runMqtt(['test', '-h', '127.0.0.1', '-p', '1', '--json'], { env: CLEAN_ENV });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('Error: could not connect to mqtt://127.0.0.1:1: error: Connection refused\n');
  });
});
