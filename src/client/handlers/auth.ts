import type { IAuthPacket } from 'mqtt-packet';
import { clientFinalMessage, parseServerFirst, SCRAM_METHODS, type ClientFirst, type ScramMethod } from '../../core/auth/scram.js';
import { RC } from '../../core/protocol/reason-codes.js';

/** SCRAM state of the CONNECT under way: client-first-message, then the signature to expect. */
export interface ScramExchange {
  first: ClientFirst;
  serverSignature?: Buffer;
}

/**
 * The server's AUTH Continue authentication (0x18) with server-first-message: resolves with the
 * AUTH that carries client-final-message [MQTT-4.12.0-3] and records the server signature that
 * CONNACK must then prove. A packet that cannot start the answer throws at once (before any
 * await, so a CONNACK in the same read finds the attempt already failed); a failure while
 * computing it rejects.
 */
export function answerScramChallenge(packet: IAuthPacket, method: ScramMethod, password: Buffer, scram: ScramExchange): Promise<IAuthPacket> {
  if (packet.reasonCode !== RC.ContinueAuthentication || packet.properties?.authenticationMethod !== method || scram.serverSignature) {
    throw new Error(`unexpected AUTH 0x${(packet.reasonCode ?? 0).toString(16)}`);
  }
  const server = parseServerFirst(packet.properties?.authenticationData, scram.first.nonce);
  return clientFinalMessage(SCRAM_METHODS[method], password, scram.first, server).then((final) => {
    scram.serverSignature = final.serverSignature;
    return { cmd: 'auth', reasonCode: RC.ContinueAuthentication, properties: { authenticationMethod: method, authenticationData: final.message } };
  });
}
