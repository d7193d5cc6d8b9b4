import { promises as fsPromises } from 'node:fs';
import type { PubConfig } from '../cli/options/pub-config.js';
import { ConnectionLostError, QosNotSupportedError } from '../client/errors.js';
import type { MqttClient, PublishResult } from '../client/mqtt-client.js';
import { mosquittoReasonString as reasonText } from '../core/protocol/reason-codes.js';
import { publishJsonLines } from './pub-replay.js';
import { createCliClient, EXIT_CONNECTION_LOST, EXIT_QOS_NOT_SUPPORTED, reportConnectError, reportError } from './connect-report.js';
import { readStdin, stdinLineBatches } from './stdin.js';
import { Qos0PublishBatcher } from '../core/protocol/publish-batch.js';

/** Runs a configured publish session and resolves to the exit code. */
export async function runPub(cfg: PubConfig): Promise<number> {
  const payload = await loadPayload(cfg);
  if (typeof payload === 'number') return payload;

  const client = createCliClient(cfg.client);
  try {
    await client.connect();
  } catch (err) {
    return reportConnectError(cfg.client, err, 'pub');
  }

  let lost: ConnectionLostError | undefined;
  const lostPromise = new Promise<never>((_, reject) => {
    client.once('connection-lost', (err) => {
      lost = err;
      client.failInflight(err);
      reject(err);
    });
  });
  lostPromise.catch(() => {});

  const outcome = new Outcome(cfg);
  try {
    if (payload === 'lines') await publishLines(client, cfg, outcome, lostPromise);
    else if (payload === 'json-lines') outcome.exitCode ||= await publishJsonLines(client, cfg, lostPromise, (mid, r) => outcome.record(mid, r));
    else await publishRepeated(client, cfg, payload, outcome, lostPromise);
  } catch (err) {
    if (err instanceof QosNotSupportedError) {
      // above the v5 broker's Maximum QoS, nothing sent [MQTT-3.2.2-11]. mosquitto_pub -l returns
      // the error from its loop and exits with it, closing without DISCONNECT; the other modes
      // publish from the connect callback, which says so and disconnects normally (status 0)
      if (payload === 'lines') {
        reportError(cfg.client, `Error: ${err.message}`);
        client.destroy();
        return EXIT_QOS_NOT_SUPPORTED;
      }
      reportError(cfg.client, 'Error: Message QoS not supported on broker, try a lower QoS.');
    } else if (!(err instanceof ConnectionLostError)) throw err;
  }
  if (lost) {
    reportError(cfg.client, `Error: ${lost.message}`);
    return EXIT_CONNECTION_LOST;
  }
  // like mosquitto_pub: done once DISCONNECT is written, not when the broker has read everything
  await client.disconnect(0, cfg.client.properties.disconnect, true);
  return outcome.exitCode;
}

/** Tracks v5 failure reason codes: a warning each (as mosquitto_pub), and the optional exit code. */
class Outcome {
  exitCode = 0;
  constructor(private readonly cfg: PubConfig) {}

  record(mid: number, result: PublishResult): void {
    if (result.reasonCode < 0x80) return;
    reportError(this.cfg.client, `Warning: Publish ${mid} failed: ${reasonText(result.reasonCode)}.`);
    const reasonString = result.properties?.reasonString;
    if (typeof reasonString === 'string') reportError(this.cfg.client, reasonString);
    if (this.cfg.failOnReason && this.exitCode === 0) this.exitCode = result.reasonCode;
  }
}

/** The payload for single-message modes, 'lines' for -l, or an exit code after an error. */
async function loadPayload(cfg: PubConfig): Promise<Buffer | 'lines' | 'json-lines' | number> {
  const src = cfg.source;
  switch (src.kind) {
    case 'message':
      return src.payload;
    case 'null':
      return Buffer.alloc(0);
    case 'stdin-line':
      return 'lines';
    case 'json-lines':
      return 'json-lines';
    case 'file':
      try {
        // fs.promises loads on first use; importing node:fs/promises would load it at every start-up
        return await fsPromises.readFile(src.path);
      } catch (err) {
        process.stderr.write(`Error: Unable to read file "${src.path}": ${(err as NodeJS.ErrnoException).message}.\n`);
        process.stderr.write('Error loading input file "' + src.path + '".\n');
        return 1;
      }
    case 'stdin-file': {
      const data = await readStdin();
      if (data.length === 0) {
        process.stderr.write('Error: Zero length input.\nError loading input from stdin.\n');
        return 1;
      }
      return data;
    }
  }
}

async function publishRepeated(
  client: MqttClient,
  cfg: PubConfig,
  payload: Buffer,
  outcome: Outcome,
  lost: Promise<never>,
): Promise<void> {
  const props = cfg.client.properties.publish;
  for (let i = 0; i < cfg.repeat; i++) {
    if (i > 0 && cfg.repeatDelay > 0) await Promise.race([delay(cfg.repeatDelay * 1000), lost]);
    const mid = i + 1;
    const result = await Promise.race([client.publish(cfg.topic, payload, { qos: cfg.qos, retain: cfg.retain, properties: props }), lost]);
    outcome.record(mid, result);
  }
}

/** -l: one message per line on one connection, flow-controlled by the in-flight window. */
async function publishLines(client: MqttClient, cfg: PubConfig, outcome: Outcome, lost: Promise<never>): Promise<void> {
  const props = cfg.client.properties.publish;
  const pending = new Set<Promise<void>>();
  let mid = 0;
  // QoS 0 without properties or -d: a chunk's lines leave as one buffer of frames
  const batcher =
    cfg.qos === 0 && !cfg.client.debug && (!props || Object.keys(props).length === 0)
      ? new Qos0PublishBatcher(cfg.topic, cfg.retain, cfg.client.protocolVersion)
      : undefined;
  for await (const lines of stdinLineBatches()) {
    if (batcher && lines.every((line) => batcher.fits(line))) {
      if (!client.hasCapacity()) await Promise.race([client.waitForCapacity(), lost]);
      client.publishQos0Frames(batcher.encode(lines), lines.length);
      mid += lines.length;
      continue;
    }
    // stops at the first line, before reading more, as mosquitto_pub -l does (once per chunk:
    // the QoS and the server's maximum do not change on the connection)
    if (lines.length > 0) client.checkPublishQos(cfg.qos);
    for (const line of lines) {
      if (!client.hasCapacity()) await Promise.race([client.waitForCapacity(), lost]);
      const thisMid = ++mid;
      const sent = client.publish(cfg.topic, line, { qos: cfg.qos, retain: cfg.retain, properties: props });
      if (cfg.qos === 0) {
        sent.catch(() => {});
        continue;
      }
      const p: Promise<void> = sent.then(
        (result) => {
          pending.delete(p);
          outcome.record(thisMid, result);
        },
        () => {
          pending.delete(p);
        },
      );
      pending.add(p);
    }
  }
  await Promise.race([Promise.all(pending), lost]);
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
