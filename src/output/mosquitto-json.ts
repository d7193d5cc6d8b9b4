/**
 * The JSON object of mosquitto_sub 2.0's %j and %J (sub_client_output.c json_print, cJSON build):
 * {"tst", "topic", "qos", "retain", "payloadlen", "mid" (QoS > 0 only), "properties" (MQTT 5, only
 * when the message has any), "payload"}.
 */
import type { ByteWriter } from './byte-writer.js';
import { type CJson, parseJsonPayload, writeCJson } from './cjson.js';
import type { Tm } from './civil-time.js';
import { byteValue, type ReceivedMessage, userPropertyPairs } from './message.js';
import { strftime } from './strftime.js';

const enc = (s: string): Uint8Array => Buffer.from(s, 'utf8');
const num = (value: number): CJson => ({ kind: 'number', value });
const str = (bytes: Uint8Array): CJson => ({ kind: 'string', bytes });
const key = (() => {
  const cache = new Map<string, Uint8Array>();
  return (k: string) => {
    let b = cache.get(k);
    if (!b) cache.set(k, (b = enc(k)));
    return b;
  };
})();

/**
 * "2020-05-06T21:48:00.123456Z+0100": mosquitto writes a literal 'Z' after the microseconds and
 * then the numeric offset (its strftime pattern is "%Y-%m-%dT%H:%M:%S.000000Z%z").
 */
export function jsonTimestamp(tm: Tm, nanos: number): string {
  const micros = String(Math.trunc(nanos / 1000)).padStart(6, '0');
  return `${strftime('%Y-%m-%dT%H:%M:%S', tm)}.${micros}Z${strftime('%z', tm)}`;
}

/** Mosquitto prints "properties" whenever the PUBLISH carried any property at all. */
function hasProperties(msg: ReceivedMessage): boolean {
  if (msg.userPropertyList?.length) return true;
  const props = msg.properties;
  return !!props && Object.values(props).some((v) => v !== undefined && v !== null);
}

/** json_print_properties: keys in the message's property order, as the C loop walks the list. */
function propertiesObject(msg: ReceivedMessage): CJson {
  const props = msg.properties ?? {};
  const entries: Array<[Uint8Array, CJson]> = [];
  // the C code reads topic-alias into the wrong variable: it prints whatever 16-bit value was read
  // last, i.e. 0 or the length of a correlation-data property seen earlier
  let stale16 = 0;
  let userDone = false;
  const addUser = () => {
    const pairs = userPropertyPairs(msg);
    userDone = true;
    if (pairs.length === 0) return;
    entries.push([key('user-properties'), { kind: 'object', entries: pairs.map(([k, v]) => [enc(k), str(enc(v))]) }]);
  };
  for (const name of Object.keys(props)) {
    const v = props[name];
    if (v === undefined || v === null) continue;
    switch (name) {
      case 'payloadFormatIndicator':
        entries.push([key('payload-format-indicator'), num(byteValue(v))]);
        break;
      case 'messageExpiryInterval':
        entries.push([key('message-expiry-interval'), num(Number(v) >>> 0)]);
        break;
      case 'contentType':
        entries.push([key('content-type'), str(enc(String(v)))]);
        break;
      case 'responseTopic':
        entries.push([key('response-topic'), str(enc(String(v)))]);
        break;
      case 'correlationData': {
        const bytes = Buffer.isBuffer(v) ? v : enc(String(v));
        stale16 = bytes.length & 0xffff;
        entries.push([key('correlation-data'), str(bytes)]);
        break;
      }
      case 'subscriptionIdentifier':
        for (const id of Array.isArray(v) ? v : [v]) entries.push([key('subscription-identifier'), num(Number(id))]);
        break;
      case 'topicAlias':
        entries.push([key('topic-alias'), num(stale16)]);
        break;
      case 'userProperties':
        addUser();
        break;
    }
  }
  if (!userDone && msg.userPropertyList?.length) addUser();
  return { kind: 'object', entries };
}

/**
 * Writes the %j (escapedPayload) or %J object. Returns false, writing nothing, when %J's payload is
 * not valid JSON by cJSON's rules.
 */
export function writeMosquittoJson(
  w: ByteWriter,
  msg: ReceivedMessage,
  tm: Tm,
  escapedPayload: boolean,
  pretty: boolean,
): boolean {
  let payload: CJson;
  if (msg.payload.length === 0) {
    payload = { kind: 'null' };
  } else if (escapedPayload) {
    payload = str(msg.payload);
  } else {
    const parsed = parseJsonPayload(msg.payload);
    if (!parsed) return false;
    payload = parsed;
  }
  const entries: Array<[Uint8Array, CJson]> = [
    [key('tst'), str(enc(jsonTimestamp(tm, msg.receivedAt.nanos)))],
    [key('topic'), str(enc(msg.topic))],
    [key('qos'), num(msg.qos)],
    [key('retain'), num(msg.retain ? 1 : 0)],
    [key('payloadlen'), num(msg.payload.length)],
  ];
  if (msg.qos > 0) entries.push([key('mid'), num(msg.mid)]);
  if (hasProperties(msg)) entries.push([key('properties'), propertiesObject(msg)]);
  entries.push([key('payload'), payload]);
  writeCJson(w, { kind: 'object', entries }, pretty);
  return true;
}
