import type { AheadGate } from './ahead-gate.js';
import type { Histogram } from '../core/stats/histogram.js';
import type { BenchPlan } from './plan.js';

/** What a lane hands each publisher or subscriber it creates. */
export interface RoleContext<T> {
  plan: BenchPlan;
  /** the lane's histogram for this role: ack latency for publishers, end to end for subscribers */
  latency: Histogram;
  /** end-to-end flow control, in pubsub with --ahead */
  gate: AheadGate | undefined;
  /** told once, when the client has nothing more to do */
  onDone: (client: T) => void;
}
