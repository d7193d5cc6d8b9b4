import type { ClientConfig } from '../client/config.js';
import type { QoS } from '../core/protocol/types.js';
import { ConnectError } from '../client/errors.js';
import { mosquittoConnackString, mosquittoReasonString } from '../core/protocol/reason-codes.js';
import { createCliClient } from './connect-report.js';
import type { CtrlCommand } from './ctrl-dynsec.js';
import { printResponse } from './ctrl-print.js';

const REQUEST_TOPIC = '$CONTROL/dynamic-security/v1';
const RESPONSE_TOPIC = `${REQUEST_TOPIC}/response`;
/** mosquitto_ctrl gives up after 10 seconds */
const DEADLINE_MS = 10_000;

/**
 * One request/response over $CONTROL, as mosquitto_ctrl's client_request_response: connect,
 * subscribe to the response topic, publish the request once subscribed, print the first response,
 * disconnect. Messages go to stderr in mosquitto_ctrl's words; the exit status says whether it
 * worked (mosquitto_ctrl exits 0 in every case once connected).
 */
export async function runControlRequest(cfg: { client: ClientConfig; qos: QoS; encrypted: boolean }, plan: { command: CtrlCommand }): Promise<number> {
  if (!cfg.encrypted) {
    process.stderr.write(
      'Warning: You are running mqtt ctrl without encryption.\nThis means all of the configuration changes you are making are visible on the network, including passwords.\n\n',
    );
  }
  const client = createCliClient(cfg.client);
  const v5 = cfg.client.protocolVersion === 5;
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<number>((resolve) => {
    timer = setTimeout(() => {
      process.stderr.write('Error: no response from the broker within 10 seconds.\n');
      resolve(1);
    }, DEADLINE_MS);
  });
  const exchange = async (): Promise<number> => {
    try {
      await client.connect();
    } catch (err) {
      if (!(err instanceof ConnectError)) throw err;
      if (err.kind === 'refused') {
        const text = v5 ? mosquittoReasonString(err.code) : mosquittoConnackString(err.code);
        const hint = v5 && err.code === 0x84 ? '. Try connecting to an MQTT v5 broker, or use MQTT v3.x mode.' : '';
        process.stderr.write(`Connection error: ${text}${hint}\n`);
      } else {
        process.stderr.write(`Error: ${err.message}\n`);
      }
      return 1;
    }
    const response = new Promise<Buffer>((resolve) => client.on('message', (p) => resolve(p.payload as Buffer)));
    const suback = await client.subscribe([{ topic: RESPONSE_TOPIC, qos: cfg.qos }]);
    const first = suback.granted[0];
    const granted = typeof first === 'number' ? first : 0x80;
    if (granted >= 0x80) {
      process.stderr.write(v5 ? `Subscribe error: ${mosquittoReasonString(granted)}\n` : 'Subscribe error: Subscription refused.\n');
      await client.disconnect().catch(() => {});
      return 1;
    }
    const request = Buffer.from(JSON.stringify({ commands: [plan.command] }), 'utf8');
    const published = await client.publish(REQUEST_TOPIC, request, { qos: cfg.qos, retain: false });
    if (published.reasonCode > 127) {
      process.stderr.write(`Publish error: ${mosquittoReasonString(published.reasonCode)}\n`);
      await client.disconnect().catch(() => {});
      return 1;
    }
    const printed = printResponse(await response);
    process.stdout.write(printed.stdout);
    process.stderr.write(printed.stderr);
    await client.disconnect().catch(() => {});
    return printed.failed ? 1 : 0;
  };
  try {
    return await Promise.race([exchange(), deadline]);
  } catch (err) {
    process.stderr.write(`Error: ${(err as Error).message}\n`);
    return 1;
  } finally {
    clearTimeout(timer);
    client.destroy();
  }
}
