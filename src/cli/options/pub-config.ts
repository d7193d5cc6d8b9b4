import type { ClientConfig } from '../../client/config.js';
import type { QoS } from '../../core/protocol/types.js';

export type MessageSource =
  | { kind: 'message'; payload: Buffer }
  | { kind: 'file'; path: string }
  | { kind: 'stdin-file' }
  | { kind: 'stdin-line' }
  | { kind: 'null' }
  /** extra: NDJSON records as `sub --json` writes them, one message each */
  | { kind: 'json-lines' };

export interface PubConfig {
  client: ClientConfig;
  topic: string;
  source: MessageSource;
  qos: QoS;
  retain: boolean;
  repeat: number;
  /** seconds to wait after one message is delivered before the next */
  repeatDelay: number;
  /** extra: exit non-zero when a v5 PUBACK/PUBREC carries a failure reason code */
  failOnReason: boolean;
  /** extra, with json-lines: keep the records' time gaps, divided by `speed` */
  replay?: { speed: number };
}
