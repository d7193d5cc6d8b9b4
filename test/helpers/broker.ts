import net from 'node:net';
import type { Packet } from 'mqtt-packet';
import { Broker, type BrokerOptions } from '../../src/broker/broker.js';
import { startListener, type RunningListener } from '../../src/broker/listeners.js';
import type { ProtocolVersion } from '../../src/core/protocol/types.js';
import { encodePacket, PacketDecoder } from '../../src/core/protocol/codec.js';

export interface TestBroker {
  broker: Broker;
  port: number;
  stop(): Promise<void>;
}

/** Our broker in-process on 127.0.0.1, a free port. */
export async function startTestBroker(opts: BrokerOptions = {}): Promise<TestBroker> {
  const broker = new Broker(opts);
  const listener: RunningListener = await startListener(broker, { port: 0, host: '127.0.0.1', protocol: 'mqtt' });
  return {
    broker,
    port: listener.port,
    async stop() {
      await listener.close();
      await broker.close();
    },
  };
}

/**
 * A raw MQTT peer for packet-level conversations: send exact packets (or bytes), await the next
 * packet the broker sends, and see when the broker closes the connection.
 */
export class RawClient {
  readonly packets: Packet[] = [];
  closed = false;
  private waiters: Array<() => void> = [];
  private readonly decoder: PacketDecoder;

  private constructor(
    readonly socket: net.Socket,
    public version: ProtocolVersion,
  ) {
    this.decoder = new PacketDecoder({
      protocolVersion: version,
      onPacket: (p) => {
        this.packets.push(p);
        this.notify();
      },
      onError: (e) => {
        this.packets.push({ cmd: 'error', message: e.message } as never);
        this.notify();
      },
    });
    socket.on('data', (d) => this.decoder.push(d));
    socket.on('close', () => {
      this.closed = true;
      this.notify();
    });
    socket.on('error', () => {});
  }

  static connect(port: number, version: ProtocolVersion): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s = net.connect(port, '127.0.0.1', () => resolve(new RawClient(s, version)));
      s.once('error', reject);
    });
  }

  /** The server side of an accepted connection (a fake server talking to our client). */
  static accept(socket: net.Socket, version: ProtocolVersion): RawClient {
    return new RawClient(socket, version);
  }

  private notify() {
    for (const w of [...this.waiters]) w();
  }

  send(packet: Packet): void {
    this.socket.write(encodePacket(packet, this.version));
  }

  sendBytes(bytes: Buffer | number[]): void {
    this.socket.write(Buffer.from(bytes as Buffer));
  }

  /** CONNECT and await CONNACK. */
  async handshake(fields: Partial<Extract<Packet, { cmd: 'connect' }>> = {}): Promise<Extract<Packet, { cmd: 'connack' }>> {
    this.send({
      cmd: 'connect',
      protocolId: this.version === 3 ? 'MQIsdp' : 'MQTT',
      protocolVersion: this.version,
      clientId: `raw-${Math.random().toString(36).slice(2, 10)}`,
      clean: true,
      keepalive: 60,
      ...fields,
    } as Packet);
    return (await this.next('connack')) as Extract<Packet, { cmd: 'connack' }>;
  }

  /**
   * Resolves with what `probe` returns once it returns something, re-probing on every packet;
   * rejects on timeout, or when the connection closes first if `failOnClose`.
   */
  private until<T>(probe: () => T | undefined, what: string, timeoutMs: number, failOnClose: boolean): Promise<T> {
    return new Promise((resolve, reject) => {
      const describe = () => `${what}; got ${JSON.stringify(this.packets.map((p) => p.cmd))}`;
      const check = () => {
        const value = probe();
        if (value !== undefined) {
          done();
          resolve(value);
        } else if (failOnClose && this.closed) {
          done();
          reject(new Error(`connection closed while waiting for ${describe()}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`timed out waiting for ${describe()}`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        this.waiters = this.waiters.filter((w) => w !== check);
      };
      this.waiters.push(check);
      check();
    });
  }

  /** The next packet (optionally of a type), consumed from the front of the received list. */
  next<C extends Packet['cmd']>(cmd?: C, timeoutMs = 5000): Promise<Extract<Packet, { cmd: C }>> {
    return this.until(
      () => {
        const i = this.packets.findIndex((p) => !cmd || p.cmd === cmd);
        return i >= 0 ? (this.packets.splice(i, 1)[0] as Extract<Packet, { cmd: C }>) : undefined;
      },
      cmd ?? 'a packet',
      timeoutMs,
      true,
    );
  }

  /** Resolves once the predicate holds over what has arrived (checked on every packet). */
  async waitFor(pred: () => boolean, timeoutMs = 5000): Promise<void> {
    await this.until(() => (pred() ? true : undefined), 'a condition', timeoutMs, false);
  }

  /** Resolves when the broker has closed the connection. */
  waitClosed(timeoutMs = 5000): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.closed) return resolve();
      const timer = setTimeout(() => reject(new Error('broker did not close the connection')), timeoutMs);
      this.socket.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  end(): void {
    this.socket.destroy();
  }
}

/** Resolves true once the broker has closed the connection, false if it answers a PINGREQ instead. */
export async function closedOrAlive(c: RawClient): Promise<boolean> {
  if (c.closed) return true;
  c.send({ cmd: 'pingreq' });
  await c.waitFor(() => c.closed || c.packets.some((p) => p.cmd === 'pingresp'));
  return c.closed;
}
