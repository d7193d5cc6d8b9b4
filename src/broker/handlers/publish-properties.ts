import type { Properties } from '../../core/protocol/types.js';
import { ownBytes, type BrokerMessage } from '../message.js';

/** Properties forwarded unchanged to subscribers [MQTT-3.3.2-15..20]; the rest are per hop. */
const FORWARDED = ['payloadFormatIndicator', 'contentType', 'responseTopic', 'correlationData', 'userProperties'] as const;

/** The routed-message fields that come from PUBLISH (or will) properties. */
export function messageFromPublishProperties(props: Properties): Pick<BrokerMessage, 'properties' | 'expiresAt'> {
  let properties: Properties | undefined;
  for (const key of FORWARDED) {
    if (props[key] !== undefined) (properties ??= {})[key] = props[key];
  }
  // a slice of the read buffer, like the payload: the message may be stored
  if (properties?.correlationData !== undefined && Buffer.isBuffer(properties.correlationData)) {
    properties.correlationData = ownBytes(properties.correlationData);
  }
  const expiry = props.messageExpiryInterval;
  return {
    properties,
    expiresAt: typeof expiry === 'number' ? Date.now() + expiry * 1000 : undefined,
  };
}
