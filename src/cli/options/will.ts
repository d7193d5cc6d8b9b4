import type { Properties, QoS } from '../../core/protocol/types.js';
import type { WillConfig } from '../../client/config.js';
import { UsageError } from '../errors.js';
import { intArg } from './int-arg.js';
import type { OptionGroup } from './option-command.js';
import type { OptionState } from './state.js';
import { checkTopicName } from './topic-args.js';

export const willGroup: OptionGroup = {
  heading: 'Will (published by the broker if this client disconnects unexpectedly):',
  specs: [
    {
      flags: '--will-topic <topic>',
      description: 'topic of the will; alone it makes an empty, QoS 0, non-retained will',
      missing: '--will-topic argument given but no will topic specified.',
      apply: (s, v) => void (s.will.topic = checkTopicName(v!, '--will-topic', 'will topic')),
    },
    {
      flags: '--will-payload <payload>',
      description: 'payload of the will (default: empty)',
      missing: '--will-payload argument given but no will payload specified.',
      apply: (s, v) => void (s.will.payload = v!),
    },
    {
      flags: '--will-qos <qos>',
      description: 'QoS of the will (default: 0)',
      missing: '--will-qos argument given but no will QoS specified.',
      apply: (s, v) => void (s.will.qos = intArg(v!, 0, 2, (n) => `Invalid will QoS ${n}.`) as QoS),
    },
    {
      flags: '--will-retain',
      description: 'make the will a retained message',
      apply: (s) => void (s.will.retain = true),
    },
  ],
};

/** A payload or retain flag without a topic is an argument error (client_config_load). */
export function checkWill(state: OptionState): void {
  if (state.will.payload !== undefined && state.will.topic === undefined) {
    throw new UsageError('Will payload given, but no will topic given.');
  }
  if (state.will.retain && state.will.topic === undefined) throw new UsageError('Will retain given, but no will topic given.');
}

export function resolveWill(state: OptionState, properties: Properties | undefined): WillConfig | undefined {
  const { topic, payload, qos, retain } = state.will;
  if (topic === undefined) return undefined;
  const will: WillConfig = { topic, payload: Buffer.from(payload ?? '', 'utf8'), qos, retain };
  if (properties && state.conn.protocolVersion === 5) will.properties = properties;
  return will;
}
