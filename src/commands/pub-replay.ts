import type { PubConfig } from '../cli/options/pub-config.js';
import type { MqttClient, PublishResult } from '../client/mqtt-client.js';
import { parseReplayRecord, ReplayRecordError } from '../client/replay-record.js';
import { reportError } from './connect-report.js';
import { stdinLineBatches } from './stdin.js';

/**
 * `pub --json-lines`: each stdin line a record as `sub --json` writes it, published as it was on
 * one connection (flow-controlled like -l). With --replay-timing each message goes out at its
 * record's time relative to the first one, divided by --speed (a schedule, so delays do not add
 * up). A bad line (or a QoS above the broker's Maximum QoS) stops the replay with "Error: stdin
 * line N: …" and status 1; what came before it is still delivered. Resolves to 0 or 1; `record` sees every QoS 1/2 outcome.
 */
export async function publishJsonLines(
  client: MqttClient,
  cfg: PubConfig,
  lost: Promise<never>,
  record: (mid: number, result: PublishResult) => void,
): Promise<number> {
  const v5 = cfg.client.protocolVersion === 5;
  const defaults = cfg.client.properties.publish;
  const pending = new Set<Promise<void>>();
  let lineNo = 0;
  let mid = 0;
  let schedule: { startMs: number; firstTimeMs: number } | undefined;
  let code = 0;
  read: for await (const lines of stdinLineBatches()) {
    for (const line of lines) {
      lineNo++;
      const text = line.toString('utf8');
      if (text.trim() === '') continue;
      let msg;
      try {
        msg = parseReplayRecord(text);
      } catch (err) {
        if (!(err instanceof ReplayRecordError)) throw err;
        reportError(cfg.client, `Error: stdin line ${lineNo}: ${err.message}.`);
        code = 1;
        break read;
      }
      if (msg.qos > client.serverMaximumQoS) {
        // not sent [MQTT-3.2.2-11]: the v5 broker would end the connection for it
        reportError(cfg.client, `Error: stdin line ${lineNo}: QoS ${msg.qos} is above the broker's Maximum QoS ${client.serverMaximumQoS}.`);
        code = 1;
        break read;
      }
      if (cfg.replay && msg.timeMs !== undefined) {
        schedule ??= { startMs: performance.now(), firstTimeMs: msg.timeMs };
        const wait = schedule.startMs + (msg.timeMs - schedule.firstTimeMs) / cfg.replay.speed - performance.now();
        if (wait > 0) await Promise.race([new Promise((r) => setTimeout(r, wait)), lost]);
      }
      if (!client.hasCapacity()) await Promise.race([client.waitForCapacity(), lost]);
      const thisMid = ++mid;
      const properties = v5 && (defaults || msg.properties) ? { ...(defaults ?? {}), ...(msg.properties ?? {}) } : undefined;
      const sent = client.publish(cfg.topic || msg.topic, msg.payload, { qos: msg.qos, retain: msg.retain, ...(properties && { properties }) });
      if (msg.qos === 0) {
        sent.catch(() => {});
        continue;
      }
      const p: Promise<void> = sent.then(
        (result) => {
          pending.delete(p);
          record(thisMid, result);
        },
        () => void pending.delete(p),
      );
      pending.add(p);
    }
  }
  await Promise.race([Promise.all(pending), lost]);
  return code;
}
