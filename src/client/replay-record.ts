/**
 * `mqtt pub --json-lines`: one line of what `mqtt sub --json` writes (src/output/json-line.ts)
 * back into the message it describes: topic, payload bytes (utf8 or base64), QoS, retain, the
 * receive time, and the MQTT 5 properties a publisher may send. Topic alias and subscription
 * identifiers were the broker's, for that subscriber: they are not sent again.
 */
import { orderedUserProperties } from '../core/protocol/user-properties.js';
import type { Properties, QoS } from '../core/protocol/types.js';

export interface ReplayMessage {
  topic: string;
  payload: Buffer;
  qos: QoS;
  retain: boolean;
  /** ms since the epoch, from the record's "time" (undefined when it has none) */
  timeMs?: number;
  /** v5 PUBLISH properties in mqtt-packet's shape; undefined when the record had none */
  properties?: Properties;
}

export class ReplayRecordError extends Error {}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

function decodeBase64(text: string, what: string): Buffer {
  if (text.length % 4 !== 0 || !BASE64.test(text)) throw new ReplayRecordError(`${what} is not valid base64`);
  return Buffer.from(text, 'base64');
}

function uint(v: unknown, max: number, what: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > max) throw new ReplayRecordError(`${what} must be an integer from 0 to ${max}`);
  return v;
}

function str(v: unknown, what: string): string {
  if (typeof v !== 'string') throw new ReplayRecordError(`${what} must be a string`);
  return v;
}

/** The PUBLISH properties of a --json "properties" object (mosquitto's hyphenated names). */
function replayProperties(props: unknown): Properties | undefined {
  if (props === undefined) return undefined;
  if (!isObject(props)) throw new ReplayRecordError('"properties" must be an object');
  const out: Properties = {};
  for (const [name, v] of Object.entries(props)) {
    switch (name) {
      case 'payload-format-indicator':
        out.payloadFormatIndicator = uint(v, 1, name) === 1;
        break;
      case 'message-expiry-interval':
        out.messageExpiryInterval = uint(v, 0xffffffff, name);
        break;
      case 'content-type':
        out.contentType = str(v, name);
        break;
      case 'response-topic':
        out.responseTopic = str(v, name);
        break;
      case 'correlation-data':
        out.correlationData = decodeBase64(str(v, name), name);
        break;
      case 'user-properties': {
        if (!Array.isArray(v)) throw new ReplayRecordError('user-properties must be a list of [key, value] pairs');
        const pairs = v.map((pair) => {
          if (!Array.isArray(pair) || pair.length !== 2 || typeof pair[0] !== 'string' || typeof pair[1] !== 'string') {
            throw new ReplayRecordError('user-properties must be a list of [key, value] pairs');
          }
          return [pair[0], pair[1]] as const;
        });
        if (pairs.length > 0) out.userProperties = orderedUserProperties(pairs);
        break;
      }
      // the broker's, for the subscriber that wrote the record
      case 'topic-alias':
      case 'subscription-identifier':
        break;
      default:
        throw new ReplayRecordError(`unknown property "${name}"`);
    }
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/** One NDJSON line (without its newline) as a message; throws ReplayRecordError saying what is wrong. */
export function parseReplayRecord(line: string): ReplayMessage {
  let record: unknown;
  try {
    record = JSON.parse(line);
  } catch {
    throw new ReplayRecordError('not valid JSON');
  }
  if (!isObject(record)) throw new ReplayRecordError('not a JSON object');
  const topic = str(record.topic, '"topic"');
  const encoding = record.encoding ?? 'utf8';
  const text = str(record.payload ?? '', '"payload"');
  let payload: Buffer;
  if (encoding === 'utf8') payload = Buffer.from(text, 'utf8');
  else if (encoding === 'base64') payload = decodeBase64(text, '"payload"');
  else throw new ReplayRecordError('"encoding" must be "utf8" or "base64"');
  if (record.payloadLength !== undefined && record.payloadLength !== payload.length) {
    throw new ReplayRecordError(`"payloadLength" is ${String(record.payloadLength)} but the payload has ${payload.length} bytes`);
  }
  const qos = record.qos === undefined ? 0 : (uint(record.qos, 2, '"qos"') as QoS);
  if (record.retain !== undefined && typeof record.retain !== 'boolean') throw new ReplayRecordError('"retain" must be true or false');
  const message: ReplayMessage = { topic, payload, qos, retain: record.retain === true };
  if (record.time !== undefined) {
    const ms = Date.parse(str(record.time, '"time"'));
    if (Number.isNaN(ms)) throw new ReplayRecordError('"time" is not an ISO 8601 time');
    message.timeMs = ms;
  }
  const properties = replayProperties(record.properties);
  if (properties) message.properties = properties;
  return message;
}
