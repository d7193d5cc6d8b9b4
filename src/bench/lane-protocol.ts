import type { LaneStats, StreamReport } from './lane-stats.js';
import type { LanePlan } from './plan.js';

/** What a lane is started with (a worker's workerData, or the in-thread lane's argument). */
export interface LaneInit {
  lanePlan: LanePlan;
  /** end-to-end flow control state shared by all lanes (pubsub with --ahead) */
  gate?: SharedArrayBuffer;
}

/** Orders from the main thread, in the order a run uses them. */
export type ToLane =
  | { type: 'publish'; startMs: number }
  | { type: 'stop-publishing' }
  /** wait until live subscribers have every message the publishers sent */
  | { type: 'drain'; sentBy: Record<number, number> }
  | { type: 'snapshot' }
  | { type: 'finish' };

export type FromLane =
  /** every client of the lane has connected (and subscribed) or failed */
  | { type: 'ready' }
  | { type: 'publishers-done' }
  | { type: 'subscribers-done' }
  | { type: 'drained' }
  | { type: 'snapshot'; stats: LaneStats }
  | { type: 'final'; stats: LaneStats; streams: StreamReport[] }
  | { type: 'fatal'; message: string };

/** The main thread's handle on a lane, whether it runs in a worker or in this thread. */
export interface LanePort {
  send(msg: ToLane): void;
  onMessage(fn: (msg: FromLane) => void): void;
  /** stops the lane at once (a worker is terminated) */
  kill(): Promise<void>;
}
