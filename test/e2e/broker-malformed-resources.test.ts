import { readFileSync } from 'node:fs';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { brokerWorkerPid, startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js';
import { RawClient } from '../helpers/broker.js';
import { publishBytes } from '../helpers/frames.js';

/**
 * What a peer's bytes may cost the broker process (issue 10): a large packet is reassembled in
 * linear time (it was quadratic: a 20 MB PUBLISH took 18.8 s of CPU), and a stored message does
 * not keep the socket read buffer it came in alive (5,000 retained 1-byte messages, each read with
 * a 60 KB packet, held 456 MB). Measured on the process itself, through /proc.
 */
let broker: BrokerProcess;
beforeAll(async () => {
  broker = await startBrokerProcess();
});
afterAll(async () => {
  await broker?.stop();
});

const pid = () => brokerWorkerPid(broker.proc.proc.pid!);
/** user + system CPU seconds of the broker process */
function cpuSeconds(): number {
  const fields = readFileSync(`/proc/${pid()}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}
function rssMB(): number {
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid()}/status`, 'utf8'))![1]) / 1024;
}

function rawConnect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => resolve(s));
    s.once('error', reject);
  });
}

/** Writes a PINGREQ and resolves on the PINGRESP: everything written before it has been handled. */
function ping(s: net.Socket, timeoutMs = 20_000): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = Buffer.alloc(0);
    const timer = setTimeout(() => reject(new Error('no PINGRESP')), timeoutMs);
    const onData = (d: Buffer) => {
      seen = Buffer.concat([seen, d]).subarray(-2);
      if (seen[0] === 0xd0 && seen[1] === 0) {
        clearTimeout(timer);
        s.off('data', onData);
        resolve();
      }
    };
    s.on('data', onData);
    s.write(Buffer.from([0xc0, 0]));
  });
}

describe('broker resources under hostile packets', () => {
  it('a 20 MB PUBLISH is reassembled in linear time: well under 5 s of broker CPU (was 18.8 s), the subscriber gets it whole', async () => {
    const sub = await RawClient.connect(broker.port, 4);
    await sub.handshake();
    sub.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'big/x', qos: 0 }] } as never);
    await sub.next('suback');
    const pub = await RawClient.connect(broker.port, 4);
    await pub.handshake();
    const payload = Buffer.alloc(20 * 1024 * 1024, 7);
    const before = cpuSeconds();
    pub.sendBytes(publishBytes({ topic: 'big/x', payload }));
    const got = await sub.next('publish', 60_000);
    const cpu = cpuSeconds() - before;
    expect(got.payload.length).toBe(payload.length);
    expect(cpu).toBeLessThan(5);
    sub.end();
    pub.end();
  }, 90_000);

  it('5,000 retained 1-byte messages, each read with a 60 KB packet, grow RSS by far less than the read buffers (was 456 MB)', async () => {
    const pub = await rawConnect(broker.port);
    pub.write(Buffer.from('101000044d5154540402003c000472657431', 'hex')); // CONNECT v3.1.1 "ret1"
    await ping(pub);
    const filler = publishBytes({ topic: 'nobody/listens', payload: Buffer.alloc(60 * 1024, 2) });
    const before = rssMB();
    for (let i = 0; i < 5000; i++) {
      pub.write(Buffer.concat([filler, publishBytes({ topic: `pinned/${i}`, payload: Buffer.from('x'), retain: true })]));
      if (i % 250 === 249) await ping(pub);
    }
    await ping(pub);
    const grown = rssMB() - before;
    // pinned, the 5,000 read buffers alone would take 300+ MB; the filler garbage may not be collected yet
    expect(grown).toBeLessThan(150);
    // and the retained messages are all there
    const sub = await RawClient.connect(broker.port, 4);
    await sub.handshake();
    sub.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'pinned/#', qos: 0 }] } as never);
    await sub.waitFor(() => sub.packets.filter((p) => p.cmd === 'publish').length === 5000, 30_000);
    pub.destroy();
    sub.end();
  }, 120_000);
});
