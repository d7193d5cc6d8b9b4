import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { spawnMqtt } from '../helpers/cli.js';

/**
 * `mqtt pub` is done once its DISCONNECT is written out, as libmosquitto closes its socket right
 * after writing DISCONNECT: it does not wait for the broker to read a backlog and close first
 * (issue 16; with -l that wait was most of the run against a busy Mosquitto). The stand-in broker
 * here answers CONNACK and then never closes; before, pub waited 2 s for it and then gave up.
 */
describe('pub exits once DISCONNECT is written, not when the broker closes', () => {
  let server: net.Server | undefined;
  afterEach(() => {
    for (const s of sockets) s.destroy();
    server?.close();
  });
  const sockets: net.Socket[] = [];

  it('pub -l: every frame and the DISCONNECT arrive, then our FIN, and pub exits 0 while the server still holds the connection', async () => {
    let received = Buffer.alloc(0);
    let finAt = 0;
    let socket: net.Socket | undefined;
    // allowHalfOpen: our FIN does not make the server end its side
    server = net.createServer({ allowHalfOpen: true }, (s) => {
      socket = s;
      sockets.push(s);
      s.once('data', () => s.write(Buffer.from([0x20, 2, 0, 0]))); // CONNACK, accepted
      s.on('data', (d: Buffer) => {
        received = Buffer.concat([received, d]);
      });
      s.on('end', () => {
        finAt = Date.now(); // the client's FIN; this side stays open
      });
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const port = String((server.address() as net.AddressInfo).port);

    const pub = spawnMqtt(['pub', '-h', '127.0.0.1', '-p', port, '-t', 't', '-l', '-V', '311'], { input: 'a\nbb\n\nc', timeoutMs: 20_000 });
    const r = await pub.done;
    const exitedAt = Date.now();
    expect(r.code, r.stderr).toBe(0);
    expect(finAt, 'the client FIN arrived before pub exited').toBeGreaterThan(0);
    // well below the 2 s pub waited for the server before (the server never closes here)
    expect(exitedAt - finAt).toBeLessThan(1500);
    expect(socket!.destroyed).toBe(false);
    // after CONNECT: the four QoS 0 PUBLISH frames (topic "t"), an empty line included, then DISCONNECT
    const publish = (payload: string) => Buffer.concat([Buffer.from([0x30, 3 + payload.length, 0, 1, 0x74]), Buffer.from(payload)]);
    const tail = Buffer.concat([publish('a'), publish('bb'), publish(''), publish('c'), Buffer.from([0xe0, 0])]);
    expect(received.subarray(received.length - tail.length).toString('hex')).toBe(tail.toString('hex'));
  });
});
