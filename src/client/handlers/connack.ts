import type { IConnackPacket } from 'mqtt-packet';
import { verifyServerFinal } from '../../core/auth/scram.js';
import type { QoS } from '../../core/protocol/types.js';
import { ConnectError } from '../errors.js';

/** What the server told us in CONNACK that limits what we may send. */
export interface ServerLimits {
  receiveMaximum: number;
  topicAliasMaximum: number;
  maximumPacketSize?: number;
  maximumQoS: QoS;
  keepalive: number;
}

/**
 * Why a CONNACK ends the connect attempt: a refusal code, or (SCRAM) a server that did not prove
 * it knows the password too (`serverSignature`: what the exchange expects, undefined until it
 * ended). Undefined when the session may start.
 */
export function connackFailure(connack: IConnackPacket, authMethod: string | undefined, serverSignature: Buffer | undefined, scram: boolean): ConnectError | undefined {
  const props = connack.properties ?? {};
  const code = connack.reasonCode ?? connack.returnCode ?? 0;
  if (code !== 0) return new ConnectError(`CONNACK refused: ${code}`, 'refused', code);
  if (!scram) return undefined;
  try {
    if (!serverSignature) throw new Error('CONNACK before the SCRAM exchange ended');
    if (props.authenticationMethod !== authMethod) throw new Error('CONNACK without the Authentication Method');
    verifyServerFinal(props.authenticationData, serverSignature);
    return undefined;
  } catch (err) {
    return new ConnectError(`${authMethod} authentication failed: ${(err as Error).message}.`, 'protocol');
  }
}

/** The limits a successful CONNACK sets, its defaults where it says nothing. */
export function serverLimits(connack: IConnackPacket, keepalive: number): ServerLimits {
  const props = connack.properties ?? {};
  return {
    receiveMaximum: props.receiveMaximum ?? 65535,
    topicAliasMaximum: props.topicAliasMaximum ?? 0,
    maximumPacketSize: props.maximumPacketSize,
    maximumQoS: (props.maximumQoS ?? 2) as QoS,
    keepalive: props.serverKeepAlive ?? keepalive,
  };
}
