import { promises as fsPromises } from 'node:fs';
import type { IPublishPacket } from 'mqtt-packet';
import type { Properties } from '../core/protocol/types.js';
import type { RrConfig } from '../cli/options/rr-config.js';
import { ConnectError, type ConnectionLostError, QosNotSupportedError } from '../client/errors.js';
import { SESSION_TAKEN_OVER, takeoverMessage } from '../client/takeover.js';
import { mosquittoReasonString as reasonText } from '../core/protocol/reason-codes.js';
import { compileFormat } from '../output/format-template.js';
import { jsonRecord } from '../output/json-line.js';
import { formatMessage } from '../output/print-message.js';
import { receivedMessage } from '../output/received.js';
import { latencyLine, summarizeLatencies } from '../output/rr-latency.js';
import { BatchedStdout } from './batched-stdout.js';
import { createCliClient, EXIT_CONNECTION_LOST, EXIT_QOS_NOT_SUPPORTED, limitReceiveMaximum, reportConnectError, reportError } from './connect-report.js';
import { readStdin } from './stdin.js';

const EXIT_TIMEOUT = 27; // MOSQ_ERR_TIMEOUT
const DISCONNECT_WITH_WILL = 0x04;
const UNSUPPORTED_PROTOCOL_VERSION = 0x84;
const NO_MATCHING_SUBSCRIBERS = 0x10;

/**
 * Runs mosquitto_rr 2.0's request/response exchange and resolves to the exit code: connect,
 * subscribe to the response topic, publish the request once the SUBACK grants it (v5: with the
 * response-topic property), print the first message on the response topic like mosquitto_sub,
 * and leave. Differences on purpose: -f/-s send the file/stdin (2.0 sends an empty request), -R
 * skips retained messages (2.0 ignores it), and the client disconnects with DISCONNECT (2.0 only
 * closes the socket, so the broker publishes its will after every answered request).
 */
export async function runRr(cfg: RrConfig): Promise<number> {
  const payload = await loadRequest(cfg);
  if (typeof payload === 'number') return payload;
  const clientCfg = cfg.client;
  const v5 = clientCfg.protocolVersion === 5;
  // mosquitto_rr counts one message (msg_count = 1) and sets receive-maximum to it
  limitReceiveMaximum(clientCfg, 1);
  const out = new BatchedStdout();
  const client = createCliClient(clientCfg, out);
  const format = cfg.format !== undefined ? compileFormat(cfg.format) : undefined;
  const warn = (line: string) => void process.stderr.write(`${line}\n`);
  const printOpts = { verbose: cfg.verbose, noEol: cfg.noEol, format, pretty: cfg.pretty, json: false, warn };
  const requestProps: Properties | undefined = v5 ? { ...(clientCfg.properties.publish ?? {}), responseTopic: cfg.responseTopic } : undefined;

  return new Promise<number>((resolve) => {
    let finished = false;
    let sent = 0;
    let sentAt = 0;
    let waiting = false;
    const latencies: number[] = [];
    let timer: NodeJS.Timeout | undefined;

    const summary = () => {
      if (cfg.count <= 1) return;
      const s = summarizeLatencies(sent, latencies);
      if (cfg.json) out.write(Buffer.from(`${JSON.stringify(s)}\n`));
      else reportError(clientCfg, latencyLine(s));
    };

    const finish = async (code: number, opts: { reason?: number; message?: string; hardStop?: boolean; summary?: boolean } = {}) => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      if (opts.hardStop) client.destroy();
      else {
        try {
          await client.disconnect(opts.reason ?? 0, clientCfg.properties.disconnect);
        } catch {
          client.destroy();
        }
      }
      if (opts.message) reportError(clientCfg, opts.message);
      if (opts.summary) summary();
      await out.finish();
      resolve(code);
    };

    if (cfg.timeout !== undefined) {
      timer = setTimeout(() => void finish(EXIT_TIMEOUT, { reason: DISCONNECT_WITH_WILL, message: 'Timed out', summary: true }), cfg.timeout * 1000);
    }
    out.onError(() => void finish(0));

    const sendRequest = () => {
      sent++;
      waiting = true;
      sentAt = performance.now();
      const mid = sent;
      client
        .publish(cfg.topic, payload, { qos: cfg.qos, retain: false, properties: requestProps })
        .then((result) => {
          if (finished || (result.reasonCode < 0x80 && result.reasonCode !== NO_MATCHING_SUBSCRIBERS)) return;
          // [extra] mosquitto_rr ignores the acknowledgement; nobody will answer a request that reached no one
          if (result.reasonCode === NO_MATCHING_SUBSCRIBERS) {
            reportError(clientCfg, `Warning: No matching subscribers for the request on '${cfg.topic}': no responder is listening.`);
          } else reportError(clientCfg, `Warning: Request ${mid} failed: ${reasonText(result.reasonCode)}.`);
        })
        .catch((err) => {
          // above the v5 broker's Maximum QoS, nothing sent [MQTT-3.2.2-11]: mosquitto_rr leaves
          // its loop with the error and closes without DISCONNECT
          if (err instanceof QosNotSupportedError) void finish(EXIT_QOS_NOT_SUPPORTED, { hardStop: true, message: `Error: ${err.message}` });
        });
    };

    client.on('message', (packet: IPublishPacket) => {
      if (finished) return;
      if (cfg.noRetained && packet.retain) return;
      // a message before the request (a retained one on the response topic) answers it in
      // mosquitto_rr too: printed, and with --count not counted as an answer
      const answered = waiting;
      const latencyMs = performance.now() - sentAt;
      const msg = receivedMessage(packet);
      if (cfg.json) out.write(Buffer.from(`${JSON.stringify(jsonRecord(msg, answered ? { latencyMs: round3(latencyMs) } : {}))}\n`));
      else out.write(formatMessage(msg, printOpts));
      if (answered) {
        latencies.push(latencyMs);
        waiting = false;
      }
      if (cfg.count > 1) {
        if (!answered) return;
        if (sent < cfg.count) return sendRequest();
      }
      void finish(0, { summary: true });
    });

    // mosquitto_rr's subscribe callback: the request goes out once the response topic is granted
    client.on('suback', (ack) => {
      if (finished) return;
      const granted = (ack.granted as number[])[0] ?? 0x80;
      if (granted >= 0x80) return void finish(0, { message: reasonText(granted) });
      sendRequest();
    });

    client.on('connection-lost', (err: ConnectionLostError) => {
      if (finished) return;
      // a v5 DISCONNECT from the server: libmosquitto stops the loop and mosquitto_rr exits 0
      if (err.reasonCode !== undefined) {
        const message = err.reasonCode === SESSION_TAKEN_OVER ? takeoverMessage(client.id) : undefined;
        return void finish(0, { hardStop: true, ...(message !== undefined && { message }) });
      }
      void finish(EXIT_CONNECTION_LOST, { hardStop: true, message: 'Error: The connection was lost.' });
    });

    const start = async () => {
      try {
        await client.connect();
      } catch (err) {
        if (finished) return;
        return void finish(connectFailure(cfg, err), { hardStop: true });
      }
      if (finished) return;
      const v5opts = v5 && cfg.retainAsPublished ? { rap: true } : {};
      client.subscribe([{ topic: cfg.responseTopic, qos: cfg.qos, ...v5opts }], clientCfg.properties.subscribe).catch(() => {});
    };
    void start();
  });
}

const round3 = (n: number) => Math.round(n * 1000) / 1000;

/** mosquitto_rr's connect callback words for a refusal (its own suffix for 0x84); the rest as sub. */
function connectFailure(cfg: RrConfig, err: unknown): number {
  if (!(err instanceof ConnectError) || err.kind !== 'refused') return reportConnectError(cfg.client, err, 'sub');
  // mosquitto_reason_string() even for a 3.1.1 return code: "Connection error: Unknown reason" for 5
  const suffix = err.code === UNSUPPORTED_PROTOCOL_VERSION ? '. mqtt rr only supports connecting to an MQTT v5 broker' : '';
  reportError(cfg.client, `Connection error: ${reasonText(err.code)}${suffix}`);
  return err.code;
}

/** The request payload, or an exit code after an error reading it. */
async function loadRequest(cfg: RrConfig): Promise<Buffer | number> {
  const src = cfg.source;
  switch (src.kind) {
    case 'message':
      return src.payload;
    case 'file':
      try {
        return await fsPromises.readFile(src.path);
      } catch (err) {
        reportError(cfg.client, `Error: Unable to read file "${src.path}": ${(err as NodeJS.ErrnoException).message}.`);
        return 1;
      }
    case 'stdin-file':
      return readStdin();
    default:
      return Buffer.alloc(0);
  }
}
