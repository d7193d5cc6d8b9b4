/**
 * `--json`: our own machine-readable output, one JSON object per line, always valid JSON (unlike
 * mosquitto's %j, which truncates binary payloads at the first NUL and emits raw invalid UTF-8).
 *
 * Schema (keys in this order; optional ones are omitted, never null):
 *   time           string   receive time, local ISO 8601 with milliseconds and offset,
 *                           e.g. "2026-05-06T21:48:00.123+02:00" (TZ honoured like -F's @ codes)
 *   topic          string
 *   qos            0 | 1 | 2
 *   retain         boolean
 *   mid            number   packet id, only when qos > 0
 *   payloadLength  number   bytes
 *   payload        string   the payload as text when it is valid UTF-8 without NUL, else base64
 *   encoding       "utf8" | "base64"   how to read `payload`
 *   properties     object   MQTT 5 only, when the PUBLISH carried any; mosquitto's hyphenated names:
 *     payload-format-indicator  number
 *     message-expiry-interval   number
 *     topic-alias               number
 *     content-type              string
 *     response-topic            string
 *     correlation-data          string (base64)
 *     subscription-identifier   number[]
 *     user-properties           [key, value][] in received order (duplicates kept)
 */
import { isUtf8 } from 'node:buffer';
import { localTime } from './local-time.js';
import { byteValue, type ReceivedMessage, receivedSeconds, userPropertyPairs } from './message.js';

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** Local ISO 8601 with milliseconds and a colon offset ("+02:00"). */
export function isoLocalTime(msg: ReceivedMessage): string {
  const tm = localTime(receivedSeconds(msg));
  const ms = Math.trunc(msg.receivedAt.nanos / 1e6);
  const off = Math.abs(tm.gmtoff);
  const sign = tm.gmtoff < 0 ? '-' : '+';
  return (
    `${pad(tm.year, 4)}-${pad(tm.mon + 1)}-${pad(tm.mday)}T${pad(tm.hour)}:${pad(tm.min)}:${pad(tm.sec)}` +
    `.${pad(ms, 3)}${sign}${pad(Math.trunc(off / 3600))}:${pad(Math.trunc((off % 3600) / 60))}`
  );
}

/** Text when lossless and NUL-free, else base64. */
export function encodePayload(payload: Buffer): { payload: string; encoding: 'utf8' | 'base64' } {
  if (payload.indexOf(0) < 0 && isUtf8(payload)) return { payload: payload.toString('utf8'), encoding: 'utf8' };
  return { payload: payload.toString('base64'), encoding: 'base64' };
}

function jsonProperties(msg: ReceivedMessage): Record<string, unknown> | undefined {
  const props = msg.properties ?? {};
  const out: Record<string, unknown> = {};
  const set = (name: string, v: unknown) => {
    if (v !== undefined && v !== null) out[name] = v;
  };
  const num = (v: unknown) => (v === undefined || v === null ? undefined : Number(v));
  const str = (v: unknown) => (v === undefined || v === null ? undefined : String(v));
  set('payload-format-indicator', props.payloadFormatIndicator == null ? undefined : byteValue(props.payloadFormatIndicator));
  set('message-expiry-interval', num(props.messageExpiryInterval));
  set('topic-alias', num(props.topicAlias));
  set('content-type', str(props.contentType));
  set('response-topic', str(props.responseTopic));
  const cd = props.correlationData;
  if (cd !== undefined && cd !== null) {
    set('correlation-data', (Buffer.isBuffer(cd) ? cd : Buffer.from(String(cd))).toString('base64'));
  }
  const ids = props.subscriptionIdentifier;
  if (ids !== undefined && ids !== null) set('subscription-identifier', (Array.isArray(ids) ? ids : [ids]).map(Number));
  const pairs = userPropertyPairs(msg);
  if (pairs.length > 0) out['user-properties'] = pairs.map(([k, v]) => [k, v]);
  return Object.keys(out).length > 0 ? out : undefined;
}

/** The --json record for one message, without the trailing newline. */
export function jsonLine(msg: ReceivedMessage): string {
  return JSON.stringify(jsonRecord(msg));
}

/** The --json record as an object; `extra` keys (rr's latencyMs) come right after `time`. */
export function jsonRecord(msg: ReceivedMessage, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const record: Record<string, unknown> = {
    time: isoLocalTime(msg),
    ...extra,
    topic: msg.topic,
    qos: msg.qos,
    retain: msg.retain,
  };
  if (msg.qos > 0) record.mid = msg.mid;
  record.payloadLength = msg.payload.length;
  Object.assign(record, encodePayload(msg.payload));
  const properties = jsonProperties(msg);
  if (properties) record.properties = properties;
  return record;
}
