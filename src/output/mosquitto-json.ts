/**
 * The JSON object of mosquitto_sub 2.0's %j and %J (sub_client_output.c json_print, cJSON build):
 * {"tst", "topic", "qos", "retain", "payloadlen", "mid" (QoS > 0 only), "properties" (MQTT 5, only
 * when the message has any), "payload"}. Streamed straight into the writer: no tree per message.
 */
import type { ByteWriter } from './byte-writer.js';
import { type CJson, CJsonObjectWriter, parseJsonPayload, writeCJson, writeCString, writeCStringText } from './cjson.js';
import type { Tm } from './civil-time.js';
import { byteValue, type ReceivedMessage, userPropertyPairs } from './message.js';
import { strftime } from './strftime.js';

let prefixTm: Tm | undefined;
let prefix = '';
let offset = '';

/**
 * "2020-05-06T21:48:00.123456Z+0100": mosquitto writes a literal 'Z' after the microseconds and
 * then the numeric offset (its strftime pattern is "%Y-%m-%dT%H:%M:%S.000000Z%z").
 */
export function jsonTimestamp(tm: Tm, nanos: number): string {
  // localTime() hands out one Tm per second: format its fixed parts once
  if (tm !== prefixTm) {
    prefix = strftime('%Y-%m-%dT%H:%M:%S.', tm);
    offset = strftime('Z%z', tm);
    prefixTm = tm;
  }
  return prefix + String(Math.trunc(nanos / 1000)).padStart(6, '0') + offset;
}

/** Mosquitto prints "properties" whenever the PUBLISH carried any property at all. */
function hasProperties(msg: ReceivedMessage): boolean {
  if (msg.userPropertyList?.length) return true;
  const props = msg.properties;
  if (!props) return false;
  for (const k in props) if (props[k] !== undefined && props[k] !== null) return true;
  return false;
}

function writeUserProperties(w: ByteWriter, o: CJsonObjectWriter, msg: ReceivedMessage, pretty: boolean): void {
  const pairs = userPropertyPairs(msg);
  if (pairs.length === 0) return;
  o.key('user-properties');
  const user = new CJsonObjectWriter(w, pretty, o.inner);
  for (const [k, v] of pairs) {
    user.keyText(k);
    writeCStringText(w, v);
  }
  user.end();
}

/** json_print_properties: keys in the message's property order, as the C loop walks the list. */
function writeProperties(w: ByteWriter, msg: ReceivedMessage, pretty: boolean, depth: number): void {
  const props = msg.properties ?? {};
  const o = new CJsonObjectWriter(w, pretty, depth);
  // the C code reads topic-alias into the wrong variable: it prints whatever 16-bit value was read
  // last, i.e. 0 or the length of a correlation-data property seen earlier
  let stale16 = 0;
  let userDone = false;
  for (const name of Object.keys(props)) {
    const v = props[name];
    if (v === undefined || v === null) continue;
    switch (name) {
      case 'payloadFormatIndicator':
        o.key('payload-format-indicator');
        w.ascii(String(byteValue(v)));
        break;
      case 'messageExpiryInterval':
        o.key('message-expiry-interval');
        w.ascii(String(Number(v) >>> 0));
        break;
      case 'contentType':
        o.key('content-type');
        writeCStringText(w, String(v));
        break;
      case 'responseTopic':
        o.key('response-topic');
        writeCStringText(w, String(v));
        break;
      case 'correlationData': {
        const bytes = Buffer.isBuffer(v) ? v : Buffer.from(String(v));
        stale16 = bytes.length & 0xffff;
        o.key('correlation-data');
        writeCString(w, bytes);
        break;
      }
      case 'subscriptionIdentifier':
        for (const id of Array.isArray(v) ? v : [v]) {
          o.key('subscription-identifier');
          w.ascii(String(Number(id)));
        }
        break;
      case 'topicAlias':
        o.key('topic-alias');
        w.ascii(String(stale16));
        break;
      case 'userProperties':
        writeUserProperties(w, o, msg, pretty);
        userDone = true;
        break;
    }
  }
  if (!userDone) writeUserProperties(w, o, msg, pretty);
  o.end();
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
  let parsed: CJson | undefined;
  if (!escapedPayload && msg.payload.length > 0) {
    parsed = parseJsonPayload(msg.payload);
    if (!parsed) return false;
  }
  const o = new CJsonObjectWriter(w, pretty, 0);
  o.key('tst');
  w.byte(0x22);
  w.ascii(jsonTimestamp(tm, msg.receivedAt.nanos));
  w.byte(0x22);
  o.key('topic');
  writeCStringText(w, msg.topic);
  o.key('qos');
  w.ascii(String(msg.qos));
  o.key('retain');
  w.byte(msg.retain ? 0x31 : 0x30);
  o.key('payloadlen');
  w.ascii(String(msg.payload.length));
  if (msg.qos > 0) {
    o.key('mid');
    w.ascii(String(msg.mid));
  }
  if (hasProperties(msg)) {
    o.key('properties');
    writeProperties(w, msg, pretty, o.inner);
  }
  o.key('payload');
  if (msg.payload.length === 0) w.ascii('null');
  else if (parsed) writeCJson(w, parsed, pretty, o.inner);
  else writeCString(w, msg.payload);
  o.end();
  return true;
}
