import type { FromLane, LaneInit, ToLane } from './lane-protocol.js';
import { startedAsWorkerThread } from '../core/runtime/worker-script.js';

/** The workerData key that tells a thread running our bundle that it is a bench lane. */
export const LANE_WORKER_MARK = 'mqttBenchLane';

/**
 * Runs one lane in this worker thread, speaking to the main thread through parentPort.
 * Lane is imported lazily so that loading the bundle in the main thread costs nothing more.
 */
async function runLaneWorker(): Promise<void> {
  const { isMainThread, parentPort, workerData } = await import('node:worker_threads');
  if (isMainThread || !parentPort || !(workerData as Record<string, unknown> | null)?.[LANE_WORKER_MARK]) return;
  const port = parentPort;
  try {
    const { Lane } = await import('./lane.js');
    const lane = new Lane((workerData as { init: LaneInit }).init, (msg: FromLane) => port.postMessage(msg));
    port.on('message', (msg: ToLane) => lane.handle(msg));
    await lane.start();
  } catch (err) {
    port.postMessage({ type: 'fatal', message: err instanceof Error ? err.message : String(err) } satisfies FromLane);
  }
}

// Deliberately top-level: a worker is started from the very bundle the CLI runs from (see
// lane-port.ts), and this is the bundle's only code that acts on load, only inside such a worker.
if (startedAsWorkerThread()) void runLaneWorker();
