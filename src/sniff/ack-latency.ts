import { secondsBetween, type Timestamp } from './frame.js';

interface InFlight {
  at: Timestamp;
  qos: number;
}

/**
 * PUBLISH->PUBACK (QoS 1) and PUBLISH->PUBCOMP (QoS 2) times on one connection, per sender: what
 * a publisher waits for, which tshark does not show. A DUP re-send keeps the first send's time,
 * because the publisher's wait began with its first attempt; a non-DUP PUBLISH reusing an id starts
 * a new wait (the checker reports the reuse).
 */
export class AckLatency {
  /** [PUBLISHes sent by the client, by the server]; at most 65535 ids each */
  private readonly inFlight: [Map<number, InFlight>, Map<number, InFlight>] = [new Map(), new Map()];

  publish(fromClient: boolean, id: number, qos: number, dup: boolean, at: Timestamp): void {
    const pending = this.inFlight[fromClient ? 0 : 1];
    if (dup && pending.has(id)) return;
    pending.set(id, { at, qos });
  }

  /** Milliseconds (µs resolution) since the PUBLISH this PUBACK/PUBCOMP completes; undefined if none. */
  complete(type: 'puback' | 'pubcomp', ackFromClient: boolean, id: number, at: Timestamp): number | undefined {
    // an ack travels against its PUBLISH: the client's PUBACK completes a server PUBLISH
    const pending = this.inFlight[ackFromClient ? 1 : 0];
    const sent = pending.get(id);
    if (!sent || sent.qos !== (type === 'puback' ? 1 : 2)) return undefined;
    pending.delete(id);
    return Math.round(secondsBetween(sent.at, at) * 1e6) / 1e3;
  }
}
