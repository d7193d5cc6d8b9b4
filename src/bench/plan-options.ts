import { randomBytes } from 'node:crypto';
import type { QoS } from '../core/protocol/types.js';
import { UsageError } from '../core/errors/input-errors.js';
import { MAX_REMAINING_LENGTH } from '../core/protocol/codec.js';
import { HEADER_SIZE } from './payload-header.js';
import type { BenchMode, BenchPlan } from './plan.js';
import { intOption, numberOption, resolveTarget, type TargetOptions } from './target-options.js';

/** Options as commander hands them over (all strings, so every check is ours). */
export interface PlanOptions extends TargetOptions {
  clients?: string;
  publishers?: string;
  subscribers?: string;
  topic?: string;
  filter?: string;
  qos?: string;
  subQos?: string;
  size?: string;
  rate?: string;
  count?: string;
  duration?: string;
  inflight?: string;
  ahead?: string;
  concurrency?: string;
  hold?: string;
  workers?: string;
  drainTimeout?: string;
}

/** Publishing runs with neither a count nor a duration stop after this many seconds. */
export const DEFAULT_DURATION = 10;
const MAX_CLIENTS = 1_000_000;
const MAX_WORKERS = 64;

function qosOption(value: string | undefined, name: string, fallback: QoS): QoS {
  return intOption(value, name, fallback, 0, 2) as QoS;
}

function checkTopic(topic: string, name: string): string {
  if (topic === '' || /[+#\u0000]/.test(topic)) throw new UsageError(`${name} '${topic}' is not a valid topic name (no wildcards, not empty).`);
  return topic;
}

function checkFilter(filter: string): string {
  const levels = filter.split('/');
  const bad =
    filter === '' ||
    filter.includes('\u0000') ||
    levels.some((l, i) => (l.includes('#') && (l !== '#' || i !== levels.length - 1)) || (l.includes('+') && l !== '+'));
  if (bad) throw new UsageError(`--filter '${filter}' is not a valid topic filter.`);
  return filter;
}

/** Turns one subcommand's options into a plan, with every cross-field rule checked here. */
export function resolvePlan(mode: BenchMode, o: PlanOptions): BenchPlan {
  const target = resolveTarget(o);
  const clients = intOption(o.clients, '--clients', mode === 'conn' ? 100 : 1, 1, MAX_CLIENTS);
  const publishers = mode === 'pub' ? clients : mode === 'pubsub' ? intOption(o.publishers, '--publishers', 1, 1, MAX_CLIENTS) : 0;
  const subscribers = mode === 'sub' ? clients : mode === 'pubsub' ? intOption(o.subscribers, '--subscribers', 1, 1, MAX_CLIENTS) : 0;
  // sub's -t is a filter (as in mosquitto_sub); only publishing modes take a topic name
  const topic = mode === 'sub' ? 'bench/%i' : checkTopic(o.topic ?? 'bench/%i', '--topic');
  const qos = qosOption(o.qos, '--qos', 0);
  const rate = numberOption(o.rate, '--rate', 0);
  const count = intOption(o.count, '--count', 0);
  const publishes = mode === 'pub' || mode === 'pubsub';
  let duration = numberOption(o.duration, '--duration', 0);
  if (publishes && count === 0 && o.duration === undefined) duration = DEFAULT_DURATION;
  const payloadSize = intOption(o.size, '--size', 64, HEADER_SIZE, MAX_REMAINING_LENGTH - 2 - Buffer.byteLength(topic) - 16);
  let filter = o.filter ?? (mode === 'sub' ? (o.topic ?? 'bench/#') : topic.replaceAll('%i', '+'));
  if (mode === 'sub' && o.topic !== undefined && o.filter !== undefined) throw new UsageError('sub takes the filter as -t/--topic or --filter, not both.');
  filter = checkFilter(filter);
  return {
    mode,
    target,
    runId: randomBytes(4).readUInt32BE(0),
    publishers,
    subscribers,
    connections: mode === 'conn' ? clients : 0,
    topic,
    filter,
    qos,
    subQos: qosOption(o.subQos, '--sub-qos', qos),
    payloadSize,
    rate,
    count: mode === 'conn' ? 0 : count,
    duration,
    inflight: intOption(o.inflight, '--inflight', 100, 1, 65000),
    ahead: mode === 'pubsub' ? intOption(o.ahead, '--ahead', rate > 0 ? 0 : 100) : 0,
    concurrency: intOption(o.concurrency, '--concurrency', mode === 'conn' ? 100 : 50, 1, 100_000),
    hold: numberOption(o.hold, '--hold', 0),
    workers: intOption(o.workers, '--workers', 1, 0, MAX_WORKERS),
    drainTimeoutMs: numberOption(o.drainTimeout, '--drain-timeout', 2) * 1000,
  };
}
