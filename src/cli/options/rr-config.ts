import type { ClientConfig } from '../../client/config.js';
import type { QoS } from '../../core/protocol/types.js';
import type { MessageSource } from './pub-config.js';

/** `mqtt rr`: one request (or --count of them) and the response printed like sub prints. */
export interface RrConfig {
  client: ClientConfig;
  /** request topic */
  topic: string;
  /** -e: subscribed to, and the request's response-topic property (v5) */
  responseTopic: string;
  source: MessageSource;
  qos: QoS;
  /** extra: requests sent one after another (default 1) */
  count: number;
  /** -W: seconds, exit 27 */
  timeout?: number;
  /** -R: ignore retained messages on the response topic */
  noRetained: boolean;
  retainAsPublished: boolean;
  verbose: boolean;
  noEol: boolean;
  format?: string;
  pretty: boolean;
  /** extra: one JSON object per response, with the round-trip latency */
  json: boolean;
}
