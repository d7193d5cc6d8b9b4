import { CONFIG_KEYS, RESULT_SCHEMA } from './result.js';

/**
 * The JSON Schema of `mqtt bench … --json` (printed by `mqtt bench schema`). This is the
 * documentation readers rely on: add fields freely, but rename or remove one only together with
 * a new `schema` value. A test checks real output against it.
 */

const count = { type: 'integer', minimum: 0 } as const;
const num = { type: 'number' } as const;
const nullable = (schema: object) => ({ oneOf: [{ type: 'null' }, schema] });

const latency = {
  type: 'object',
  description: 'milliseconds; percentiles are the top of the histogram bucket (under 1.6 % above the true value)',
  required: ['count', 'min', 'mean', 'p50', 'p90', 'p99', 'p999', 'max', 'bins'],
  additionalProperties: false,
  properties: {
    count,
    min: num,
    mean: num,
    p50: num,
    p90: num,
    p99: num,
    p999: num,
    max: num,
    bins: {
      type: 'array',
      description: '1-2-5 bins from the smallest to the largest value seen; `le` is the upper edge in ms',
      items: { type: 'object', required: ['le', 'count'], additionalProperties: false, properties: { le: num, count } },
    },
  },
};

export const BENCH_RESULT_SCHEMA = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  title: 'mqtt bench result',
  type: 'object',
  required: [
    'schema', 'mode', 'target', 'config', 'runId', 'startedAt', 'elapsedSeconds', 'interrupted', 'exitCode',
    'connections', 'publish', 'receive', 'latency', 'streams', 'intervals',
  ],
  additionalProperties: false,
  properties: {
    schema: { const: RESULT_SCHEMA },
    mode: { enum: ['conn', 'pub', 'sub', 'pubsub'] },
    target: {
      type: 'object',
      required: ['url', 'protocolVersion'],
      additionalProperties: false,
      properties: { url: { type: 'string', description: 'without the password' }, protocolVersion: { enum: [3, 4, 5] } },
    },
    config: {
      type: 'object',
      description: 'the run as planned; 0 means "no limit" for rate, count, duration and ahead',
      required: CONFIG_KEYS,
      additionalProperties: false,
      properties: {
        publishers: count,
        subscribers: count,
        connections: count,
        topic: { type: 'string', description: '%i stands for the publisher index' },
        filter: { type: 'string' },
        qos: { enum: [0, 1, 2] },
        subQos: { enum: [0, 1, 2] },
        payloadSize: count,
        rate: { type: 'number', minimum: 0, description: 'messages/s over all publishers (conn: connections/s)' },
        count: { ...count, description: 'messages per publisher (sub: per subscriber)' },
        duration: { type: 'number', minimum: 0, description: 'seconds' },
        inflight: count,
        ahead: count,
        concurrency: count,
        hold: { type: 'number', minimum: 0 },
        workers: count,
      },
    },
    runId: { type: 'string', pattern: '^[0-9a-f]{8}$' },
    startedAt: { type: 'string', description: 'ISO 8601' },
    elapsedSeconds: { type: 'number', minimum: 0, description: 'from the start of publishing (conn: of connecting; sub: of listening) to the end' },
    interrupted: { type: 'boolean', description: 'stopped by Ctrl-C: counts are those so far' },
    exitCode: { enum: [0, 1, 130], description: '0 ok, 1 connection failures or a fatal error, 130 interrupted' },
    connections: {
      type: 'object',
      required: ['attempted', 'connected', 'failed', 'lost', 'errors', 'perSecond'],
      additionalProperties: false,
      properties: {
        attempted: count,
        connected: count,
        failed: count,
        lost: { ...count, description: 'closed during the run without us asking' },
        errors: {
          type: 'array',
          items: { type: 'object', required: ['reason', 'count'], additionalProperties: false, properties: { reason: { type: 'string' }, count } },
        },
        perSecond: { type: 'number', minimum: 0, description: 'conn mode: successful handshakes per second; else 0' },
      },
    },
    publish: nullable({
      type: 'object',
      required: ['sent', 'acked', 'rejected', 'unacked', 'overrun', 'aheadStalls', 'seconds', 'rate', 'targetRate', 'bytesPerSecond'],
      additionalProperties: false,
      properties: {
        sent: count,
        acked: { ...count, description: 'QoS 1 PUBACK / QoS 2 PUBCOMP received' },
        rejected: { ...count, description: 'MQTT 5 acks with a failure reason code' },
        unacked: count,
        overrun: { ...count, description: 'scheduled messages shed because a publisher fell over 100 ms behind --rate' },
        aheadStalls: { ...count, description: 'times a publisher stopped waiting for a subscriber that made no progress' },
        seconds: num,
        rate: { type: 'number', minimum: 0, description: 'messages/s' },
        targetRate: { oneOf: [{ type: 'null' }, { type: 'number' }] },
        bytesPerSecond: { type: 'number', minimum: 0, description: 'payload bytes' },
      },
    }),
    receive: nullable({
      type: 'object',
      required: ['received', 'unique', 'lost', 'lostExact', 'duplicates', 'outOfOrder', 'foreign', 'seconds', 'rate'],
      additionalProperties: false,
      properties: {
        received: count,
        unique: count,
        lost: count,
        lostExact: { type: 'boolean', description: 'true in pubsub (sent × subscribers − received); false in sub: gaps only' },
        duplicates: count,
        outOfOrder: count,
        foreign: { ...count, description: 'messages without the bench header or from another run' },
        seconds: num,
        rate: { type: 'number', minimum: 0, description: 'distinct messages/s' },
      },
    }),
    latency: {
      type: 'object',
      required: ['endToEnd', 'ack', 'connect'],
      additionalProperties: false,
      properties: { endToEnd: nullable(latency), ack: nullable(latency), connect: nullable(latency) },
    },
    streams: {
      type: 'array',
      description: 'one per publisher (sub: per run id and publisher seen)',
      items: {
        type: 'object',
        required: ['runId', 'publisher', 'sent', 'received', 'unique', 'lost', 'duplicates', 'outOfOrder'],
        additionalProperties: false,
        properties: {
          runId: { type: 'string' },
          publisher: count,
          sent: { oneOf: [{ type: 'null' }, count] },
          received: count,
          unique: count,
          lost: count,
          duplicates: count,
          outOfOrder: count,
        },
      },
    },
    intervals: {
      type: 'array',
      description: 'one per status line (about a second), counts within the interval',
      items: {
        type: 'object',
        required: ['t', 'sent', 'received', 'connected', 'p50', 'p99'],
        additionalProperties: false,
        properties: {
          t: { type: 'number', description: 'seconds since the first connection attempt' },
          sent: count,
          received: count,
          connected: count,
          p50: { oneOf: [{ type: 'null' }, num], description: 'ms within the interval: end to end (pub: ack; conn: connect)' },
          p99: { oneOf: [{ type: 'null' }, num] },
        },
      },
    },
  },
} as const;
