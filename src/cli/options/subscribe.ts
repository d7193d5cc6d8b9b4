import type { SubConfig } from './sub-config.js';
import { CliError, UsageError } from '../errors.js';
import { atof } from './c-number.js';
import { intArg } from './int-arg.js';
import type { OptionGroup, OptionSpec } from './option-command.js';
import { qosSpec } from './publish.js';
import type { OptionState } from './state.js';
import { checkOutput } from './output.js';
import { addTopic, checkTopicFilter } from './topic-args.js';

/** -W, shared with rr. */
export const timeoutSpec: OptionSpec = {
  flags: '-W <seconds>',
  description: 'absolute deadline: after this many seconds print "Timed out" and exit with status 27, even if messages arrived',
  missing: '-W argument given but no timeout specified.',
  apply: (s, v) => void (s.sub.timeout = intArg(v!, 1, Infinity, (n) => `Invalid timeout "${n}".`)),
};

/** -R, shared with rr. */
export const noRetainedSpec: OptionSpec = {
  flags: '-R',
  description: "don't print retained (stale) messages; with MQTT v5 the broker is asked not to send them",
  apply: (s) => void (s.sub.noRetained = true),
};

/** --retain-as-published, shared with rr. */
export const retainAsPublishedSpec: OptionSpec = {
  flags: '--retain-as-published',
  description: 'MQTT v5 subscription option: keep the retain flag as the publisher set it',
  apply: (s) => void (s.sub.retainAsPublished = true),
};

export const subscribeGroup: OptionGroup = {
  heading: 'Subscribe:',
  specs: [
    {
      flags: '-t, --topic <filter>',
      description: 'topic filter to subscribe to; repeatable (one SUBSCRIBE with all of them)',
      missing: '-t argument given but no topic specified.',
      apply: (s, v) => addTopic(s, v!, '-t'),
    },
    {
      flags: '-T, --filter-out <filter>',
      description: "don't print messages whose topic matches this filter (also spared by --remove-retained); repeatable",
      missing: '-T argument given but no topic filter specified.',
      apply: (s, v) => void s.sub.filterOut.push(checkTopicFilter(v!, '-T', 'filter topic')),
    },
    {
      flags: '-U, --unsubscribe <filter>',
      description: 'unsubscribe from this filter after subscribing (useful with -c); repeatable',
      missing: '-U argument given but no unsubscribe topic specified.',
      apply: (s, v) => void s.sub.unsubscribe.push(checkTopicFilter(v!, '-U', 'unsubscribe topic')),
    },
    qosSpec('QoS requested for every subscription: 0, 1 or 2 (default: 0)'),
    {
      flags: '-C <count>',
      description: 'exit (status 0) after printing this many messages',
      missing: '-C argument given but no count specified.',
      apply: (s, v) => void (s.sub.count = intArg(v!, 1, Infinity, (n) => `Invalid message count "${n}".`)),
    },
    timeoutSpec,
    {
      flags: '-E',
      description: 'exit as soon as the subscriptions are acknowledged (to prime a -c session)',
      apply: (s) => void (s.sub.exitAfterSubscribe = true),
    },
    noRetainedSpec,
    {
      flags: '--retained-only',
      description: 'print only retained messages; exit (status 0) at the first message that is not retained',
      apply: (s) => void (s.sub.retainedOnly = true),
    },
    {
      flags: '--remove-retained',
      description: 'clear every retained message received (publish an empty retained message to its topic); use -T to spare some',
      apply: (s) => void (s.sub.removeRetained = true),
    },
    retainAsPublishedSpec,
    {
      flags: '--random-filter <percent>',
      description: "print only some messages at random; as in mosquitto_sub 2.0, N prints about N/10 percent (1000 prints all; default: all)",
      missing: '--random-filter argument given but no chance specified.',
      apply: (s, v) => {
        // mosquitto keeps tenths of a percent in an int and accepts 1..10000 of them
        const tenths = Math.trunc(10 * atof(v!));
        if (!(tenths >= 1 && tenths <= 10000)) throw new UsageError('--random-filter chance must be between 0.1-100.0');
        s.sub.randomFilter = tenths / 10;
      },
    },
    {
      flags: '--idle-timeout <seconds>',
      description: '[extra] exit with status 27 after this many seconds without a message (unlike -W, restarts with every message)',
      missing: '--idle-timeout argument given but no timeout specified.',
      apply: (s, v) => {
        const seconds = /^\d+(\.\d+)?$/.test(v!) ? Number(v) : NaN;
        if (!(seconds > 0)) throw new UsageError(`Invalid idle timeout "${v}", it must be a number of seconds above 0.`);
        s.sub.idleTimeout = seconds;
      },
    },
    {
      flags: '--no-local',
      description: "[extra] MQTT v5 subscription option: don't receive the messages this client publishes",
      apply: (s) => void (s.sub.noLocal = true),
    },
  ],
};

/** mosquitto_sub 2.0 wants a -t (or -L) even when only unsubscribing with -U. */
export function checkSubscriptionTopics(state: OptionState): void {
  if (state.topics.length === 0) throw new UsageError('You must specify a topic to subscribe to.');
}

/** The subscription and output settings, checked as mosquitto_sub checks them before connecting. */
export function resolveSubscribe(state: OptionState): Omit<SubConfig, 'client'> {
  if (state.sub.noRetained && state.sub.retainedOnly) {
    throw new CliError("Error: Combining '-R' and '--retained-only' makes no sense.", 1);
  }
  checkOutput(state);
  return { topics: state.topics, qos: state.qos, ...state.sub };
}
