import type { SubConfig } from '../cli/options/sub-config.js';
import { ConnectError } from '../client/errors.js';
import { probableTakeoverMessage, RECONNECT_DELAY_MS, SESSION_TAKEN_OVER, TakeoverDetector, takeoverMessage } from '../client/takeover.js';
import type { MqttClient } from '../client/mqtt-client.js';
import { topicMatchesFilter } from '../core/topic/match.js';
import { compileFormat } from '../output/format-template.js';
import { formatMessage } from '../output/print-message.js';
import { receivedMessage } from '../output/received.js';
import { BatchedStdout } from './batched-stdout.js';
import { createCliClient, limitReceiveMaximum, reportConnectError, reportError } from './connect-report.js';

const EXIT_TIMEOUT = 27; // MOSQ_ERR_TIMEOUT
const EXIT_SIGNAL_BEFORE_CONNACK = 255; // mosquitto_sub calls exit(-1)
const DISCONNECT_WITH_WILL = 0x04;

/**
 * Runs a configured subscribe session, printing like mosquitto_sub, and resolves to the exit
 * code. The order of checks per message follows mosquitto_sub 2.0's message callback.
 */
export async function runSub(cfg: SubConfig): Promise<number> {
  const clientCfg = cfg.client;
  limitReceiveMaximum(clientCfg, cfg.count);
  const out = new BatchedStdout();
  const client = createCliClient(clientCfg, out);
  const format = cfg.format !== undefined ? compileFormat(cfg.format) : undefined;
  // %J's "payload is not valid JSON" goes to stderr even with --quiet (a plain fprintf in mosquitto_sub)
  const warn = (line: string) => void process.stderr.write(`${line}\n`);
  const printOpts = { verbose: cfg.verbose, noEol: cfg.noEol, format, pretty: cfg.pretty, json: cfg.json, warn };

  return new Promise<number>((resolve) => {
    let finished = false;
    let everConnected = false;
    let processMessages = true;
    let counted = 0;
    let pendingRemovals = 0;
    let reconnectTimer: NodeJS.Timeout | undefined;
    let idleTimer: NodeJS.Timeout | undefined;
    const timers: NodeJS.Timeout[] = [];

    const finish = async (code: number, opts: { reason?: number; message?: string; hardStop?: boolean } = {}) => {
      if (finished) return;
      finished = true;
      processMessages = false;
      clearTimeout(reconnectTimer);
      clearTimeout(idleTimer);
      timers.forEach(clearTimeout);
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      if (!opts.hardStop) {
        try {
          await client.disconnect(opts.reason ?? 0, clientCfg.properties.disconnect);
        } catch {
          client.destroy();
        }
      } else client.destroy();
      await out.finish();
      if (opts.message) reportError(clientCfg, opts.message);
      resolve(code);
    };

    /** Like mosquitto_sub: wait for our own --remove-retained publishes before leaving. */
    const stopAfterPending = () => {
      processMessages = false;
      if (pendingRemovals === 0) void finish(0);
    };

    const onSignal = () => {
      if (!everConnected) return void finish(EXIT_SIGNAL_BEFORE_CONNACK, { hardStop: true });
      void finish(0, { reason: DISCONNECT_WITH_WILL });
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);

    if (cfg.timeout !== undefined) {
      timers.push(
        setTimeout(() => {
          if (!everConnected) return void finish(EXIT_SIGNAL_BEFORE_CONNACK, { hardStop: true });
          void finish(EXIT_TIMEOUT, { reason: DISCONNECT_WITH_WILL, message: 'Timed out' });
        }, cfg.timeout * 1000),
      );
    }
    const armIdle = () => {
      if (cfg.idleTimeout === undefined) return;
      clearTimeout(idleTimer);
      idleTimer = setTimeout(() => void finish(EXIT_TIMEOUT, { message: 'Timed out (idle)' }), cfg.idleTimeout * 1000);
    };

    out.onError(() => void finish(0));

    client.on('message', (packet) => {
      if (!processMessages) return;
      armIdle();
      if (cfg.retainedOnly && !packet.retain) return stopAfterPending();
      if (packet.retain && cfg.noRetained) return;
      for (const f of cfg.filterOut) if (topicMatchesFilter(f, packet.topic)) return;
      if (cfg.removeRetained && packet.retain) {
        pendingRemovals++;
        client
          .publish(packet.topic, Buffer.alloc(0), { qos: 1, retain: true })
          .catch(() => {})
          .finally(() => {
            pendingRemovals--;
            if (!processMessages && pendingRemovals === 0) void finish(0);
          });
      }
      // --random-filter drops only the printing: the message still counts for -C, as in mosquitto_sub
      if (!randomlyDropped(cfg.randomFilter)) out.write(formatMessage(receivedMessage(packet), printOpts));
      if (cfg.count !== undefined && ++counted >= cfg.count) stopAfterPending();
    });

    const takeover = new TakeoverDetector();
    client.on('connection-lost', (err) => {
      if (finished) return;
      // a v5 DISCONNECT from the broker: libmosquitto's loop_forever stops, mosquitto_sub exits 0
      if (err.reasonCode !== undefined) {
        const message = err.reasonCode === SESSION_TAKEN_OVER ? takeoverMessage(client.id) : undefined;
        return void finish(0, { hardStop: true, ...(message !== undefined && { message }) });
      }
      const next = takeover.lost();
      if (next.warn) reportError(clientCfg, probableTakeoverMessage(client.id, next.closes));
      scheduleReconnect(next.delayMs);
    });

    const scheduleReconnect = (delayMs = RECONNECT_DELAY_MS) => {
      reconnectTimer = setTimeout(() => void start(), delayMs);
    };

    const start = async () => {
      try {
        await client.connect();
      } catch (err) {
        if (finished) return;
        if (everConnected && err instanceof ConnectError && err.kind !== 'refused') return scheduleReconnect();
        const code = reportConnectError(clientCfg, err, 'sub');
        return void finish(code, { hardStop: true });
      }
      everConnected = true;
      takeover.connected();
      armIdle();
      // a connection lost during SUBSCRIBE rejects these: the reconnect path subscribes again
      sendSubscriptions(client, cfg).catch(() => {});
    };

    // mosquitto_sub's subscribe callback, run synchronously on the SUBACK like libmosquitto's:
    // -E and "all denied" disconnect before anything after the SUBACK is processed (nor is an
    // UNSUBACK for -U awaited)
    client.on('suback', (ack) => {
      if (finished) return;
      const granted = ack.granted as number[];
      if (clientCfg.debug && !clientCfg.quiet) out.write(Buffer.from(`Subscribed (mid: ${ack.messageId}): ${granted.join(', ')}\n`));
      const denied = !granted.some((g) => g < 0x80);
      if (denied) void finish(0, { message: 'All subscription requests were denied.' });
      // then -E, in the same callback: after a denial that is a second disconnect call
      if (cfg.exitAfterSubscribe) void (denied ? client.disconnect(0, clientCfg.properties.disconnect) : finish(0));
    });
    void start();
  });
}

/**
 * mosquitto_sub 2.0's --random-filter test, kept as it is: the option is read as tenths
 * ((int)(10.0*atof(arg)), 1..10000) but compared with random()%10000, so `--random-filter N`
 * prints about N/10 percent (100 prints one message in ten) and only 1000 prints everything.
 */
function randomlyDropped(percent: number | undefined): boolean {
  if (percent === undefined) return false;
  const chance = Math.round(percent * 10);
  return chance < 10000 && Math.floor(Math.random() * 10000) >= chance;
}

/** One SUBSCRIBE with every filter, then the -U UNSUBSCRIBEs, as mosquitto_sub's connect callback. */
async function sendSubscriptions(client: MqttClient, cfg: SubConfig): Promise<void> {
  const v5 = cfg.client.protocolVersion === 5;
  const subscriptions = cfg.topics.map((topic) => ({
    topic,
    qos: cfg.qos,
    ...(v5 ? { nl: cfg.noLocal, rap: cfg.retainAsPublished, rh: cfg.noRetained ? 2 : 0 } : {}),
  }));
  const suback = client.subscribe(subscriptions, cfg.client.properties.subscribe);
  const unsubscribed = cfg.unsubscribe.map((t) => client.unsubscribe([t], cfg.client.properties.unsubscribe));
  await Promise.all([suback, ...unsubscribed]);
}
