import { seaModule } from './single-executable.js';

/** The asset name a single executable must embed the bundle under for worker threads. */
export const SEA_BUNDLE_ASSET = 'mqtt.cjs';
/** Embedded (empty) when the single executable starts from a V8 startup snapshot (scripts/build-binary.mjs). */
export const SEA_SNAPSHOT_ASSET = 'startup-snapshot';

let workerThreadsRequested = false;

/**
 * Whether this process is, or may have started, a worker thread. V8's flags are shared by every
 * thread of the process, so code that changes one at run time must not while another thread runs.
 */
export function otherThreadsMayRun(): boolean {
  return workerThreadsRequested || startedAsWorkerThread();
}

export interface WorkerScript {
  /** a file name, or JavaScript source when `evaluate` */
  source: string;
  evaluate: boolean;
}

/**
 * Where worker threads get their code. Workers (bench lanes, argon2 hashing) run the same
 * bundle as the CLI, started with a workerData mark that their entry module checks on load, so
 * there is no second entry point to build, ship or keep in step:
 *  - from dist/mqtt.cjs, `__filename` (the CommonJS bundle itself) is the worker's file;
 *  - in a Node single executable there is no bundle file and `require` loads built-ins only, so
 *    the packager embeds dist/mqtt.cjs as the asset "mqtt.cjs" and the worker evaluates its text;
 *  - from the TypeScript sources (unit tests), neither exists: the caller runs the work in the
 *    main thread.
 */
export async function workerScript(): Promise<WorkerScript | undefined> {
  workerThreadsRequested = true;
  const sea = await seaModule();
  try {
    if (sea !== undefined) return { source: sea.getAsset(SEA_BUNDLE_ASSET, 'utf8'), evaluate: true };
  } catch {
    // no bundle asset: try the file
  }
  if (typeof __filename === 'string' && /\.c?js$/.test(__filename)) return { source: __filename, evaluate: false };
  return undefined;
}

/**
 * The argv word every worker thread we start carries: entry modules check it before they load
 * node:worker_threads, which the main thread of a one-shot `mqtt pub` never needs.
 */
export const WORKER_THREAD_ARG = '--mqtt-worker-thread';

export function startedAsWorkerThread(): boolean {
  return process.argv.includes(WORKER_THREAD_ARG);
}
