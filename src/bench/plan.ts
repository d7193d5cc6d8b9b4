import type { Endpoint, TlsConfig } from '../core/transport/endpoint.js';
import type { ProtocolVersion, QoS } from '../core/protocol/types.js';

export type BenchMode = 'conn' | 'pub' | 'sub' | 'pubsub';

/** Where and how every bench client connects. Plain data: it is handed to worker threads. */
export interface BenchTarget {
  endpoint: Endpoint;
  tls?: TlsConfig;
  wsPath?: string;
  protocolVersion: ProtocolVersion;
  username?: string;
  password?: string;
  keepalive: number;
  /** local addresses to spread connections over (127.0.0.x gives more than 28k ports on loopback) */
  bindAddresses: string[];
  nodelay: boolean;
  /** client ids are this prefix + role letter + index */
  idPrefix: string;
  /** give up on a handshake (TCP + CONNACK, and SUBACK) after this long */
  connectTimeoutMs: number;
}

/** One `mqtt bench` run, as parsed from the command line. */
export interface BenchPlan {
  mode: BenchMode;
  target: BenchTarget;
  /** random per run: marks our payloads so leftovers of another run are told apart */
  runId: number;
  publishers: number;
  subscribers: number;
  /** conn mode: connections to open */
  connections: number;
  /** publish topic; `%i` is replaced by the publisher index */
  topic: string;
  /** subscription filter */
  filter: string;
  qos: QoS;
  subQos: QoS;
  payloadSize: number;
  /** total messages/s over all publishers, or conn mode connections/s; 0 = as fast as possible */
  rate: number;
  /** messages per publisher (pub, pubsub), per subscriber (sub); 0 = no limit */
  count: number;
  /** seconds; 0 = no limit (only with a count, or until Ctrl-C) */
  duration: number;
  /** QoS 1/2 messages in flight per publisher */
  inflight: number;
  /** pubsub: a publisher runs at most this many messages ahead of its slowest subscriber; 0 = off */
  ahead: number;
  /** conn mode: handshakes in progress at once */
  concurrency: number;
  /** conn mode: seconds to keep the connections open once all are up */
  hold: number;
  /** worker threads; 0 = everything on the main thread */
  workers: number;
  /** after publishing ends, wait this long without progress for the last messages and acks */
  drainTimeoutMs: number;
}

/** The share of a run one thread carries: which publishers, subscribers and connections. */
export interface LanePlan {
  lane: number;
  /** how many lanes share the run (connection pacing and concurrency are split between them) */
  lanes: number;
  plan: BenchPlan;
  publishers: number[];
  subscribers: number[];
  connections: number[];
}

/** Deals the clients round-robin, so each lane gets a fair share of every role. */
export function splitPlan(plan: BenchPlan, lanes: number): LanePlan[] {
  const n = Math.max(1, lanes);
  const out: LanePlan[] = Array.from({ length: n }, (_, lane) => ({ lane, lanes: n, plan, publishers: [], subscribers: [], connections: [] }));
  for (let i = 0; i < plan.publishers; i++) out[i % n]!.publishers.push(i);
  for (let i = 0; i < plan.subscribers; i++) out[i % n]!.subscribers.push(i);
  for (let i = 0; i < plan.connections; i++) out[i % n]!.connections.push(i);
  const used = out.filter((l) => l.publishers.length + l.subscribers.length + l.connections.length > 0);
  for (const l of used) l.lanes = used.length;
  return used;
}

export function publishTopic(plan: BenchPlan, publisher: number): string {
  return plan.topic.replaceAll('%i', String(publisher));
}

/** Published messages a run will send in all, when bounded by count; otherwise undefined. */
export function plannedMessages(plan: BenchPlan): number | undefined {
  if (plan.count <= 0) return undefined;
  return plan.mode === 'sub' ? plan.count * plan.subscribers : plan.count * plan.publishers;
}
