import type { ClientConfig } from '../client/config.js';
import { ConnectError } from '../client/errors.js';
import { MqttClient } from '../client/mqtt-client.js';
import { mosquittoConnackString as connackText, mosquittoReasonString as reasonText } from '../core/protocol/reason-codes.js';

/** MOSQ_ERR_CONN_LOST: the exit status of mosquitto_pub/sub when the broker goes away. */
export const EXIT_CONNECTION_LOST = 7;

/** MOSQ_ERR_QOS_NOT_SUPPORTED: mosquitto_pub -l and mosquitto_rr exit with it after a publish above the broker's Maximum QoS. */
export const EXIT_QOS_NOT_SUPPORTED = 24;

/** Writes a runtime error line to stderr unless --quiet (argument errors are never quiet). */
export function reportError(cfg: ClientConfig, line: string): void {
  if (!cfg.quiet) process.stderr.write(`${line}\n`);
}

/**
 * A client wired for the CLI: -d debug lines go to stdout like libmosquitto's, through `out`
 * when the command batches its stdout (so they stay in order with the messages it prints).
 */
export function createCliClient(cfg: ClientConfig, out?: { write(buf: Buffer): void }): MqttClient {
  const client = new MqttClient(cfg);
  if (cfg.debug) {
    if (out) client.on('debug', (line) => out.write(Buffer.from(`${line}\n`)));
    else client.on('debug', (line) => process.stdout.write(`${line}\n`));
  }
  return client;
}

/**
 * mosquitto_sub -C below 20 and mosquitto_rr (one message): a v5 CONNECT asks the broker not to
 * send more than will be printed, unless -D connect receive-maximum says otherwise.
 */
export function limitReceiveMaximum(cfg: ClientConfig, count: number | undefined): void {
  if (count === undefined || count >= 20 || cfg.protocolVersion !== 5 || cfg.properties.connect?.receiveMaximum !== undefined) return;
  cfg.properties.connect = { ...(cfg.properties.connect ?? {}), receiveMaximum: count };
}

/** Connection-time failures in mosquitto_pub/sub's words; the exit code they use. */
export function reportConnectError(cfg: ClientConfig, err: unknown, command: 'pub' | 'sub'): number {
  if (!(err instanceof ConnectError)) throw err;
  switch (err.kind) {
    case 'transport':
      if (err.message === 'Lookup error.') reportError(cfg, 'Unable to connect (Lookup error.).');
      else if (err.message.startsWith('TLS error: ')) reportError(cfg, `Unable to connect (A TLS error occurred: ${err.message.slice(11)}).`);
      else reportError(cfg, `Error: ${err.message}`);
      return 1;
    case 'refused': {
      if (cfg.protocolVersion === 5) {
        const suffix = err.code === 0x84 ? '. Try connecting to an MQTT v5 broker, or use MQTT v3.x mode.' : '';
        reportError(cfg, `Connection error: ${reasonText(err.code)}${suffix}`);
        // mosquitto_pub's loop then reports the closed socket as a protocol error
        if (command === 'pub') reportError(cfg, 'Error: A network protocol error occurred when communicating with the broker.');
      } else {
        reportError(cfg, `Connection error: ${connackText(err.code)}`);
        if (command === 'pub') reportError(cfg, 'Error: The connection was refused.');
      }
      return err.code;
    }
    case 'lost':
      // libmosquitto's loop reports MOSQ_ERR_CONN_LOST and mosquitto_pub exits with it
      reportError(cfg, 'Error: The connection was lost.');
      return EXIT_CONNECTION_LOST;
    default:
      reportError(cfg, `Error: ${err.message}`);
      return 1;
  }
}
