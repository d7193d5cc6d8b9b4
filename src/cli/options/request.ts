import type { RrConfig } from './rr-config.js';
import { CliError } from '../errors.js';
import { intArg } from './int-arg.js';
import type { OptionGroup, OptionSpec } from './option-command.js';
import { checkOutput } from './output.js';
import { messageSource, messageSpecs, qosSpec } from './publish.js';
import type { OptionState } from './state.js';
import { noRetainedSpec, retainAsPublishedSpec, timeoutSpec } from './subscribe.js';
import { addTopic, checkTopicName } from './topic-args.js';

/** mosquitto_rr takes pub's message options except -l (its stdin-line mode is a FIXME in 2.0). */
function rrMessageSpec(flags: string, description: string): OptionSpec {
  const spec = messageSpecs.find((s) => s.flags === flags);
  if (!spec) throw new Error(`no message option ${flags}`);
  return { ...spec, description };
}

/** `mqtt rr`: what to ask and where the answer comes back (mosquitto_rr's -t, -e and message modes). */
export const requestGroup: OptionGroup = {
  heading: 'Request:',
  specs: [
    {
      flags: '-t, --topic <topic>',
      description: "topic the request is published to (no '+' or '#')",
      missing: '-t argument given but no topic specified.',
      apply: (s, v) => addTopic(s, v!, '-t'),
    },
    {
      flags: '-e <response-topic>',
      description: 'response topic: subscribed to before the request goes out, and sent as its MQTT v5 response-topic property',
      missing: '-e argument given but no response topic specified.',
      apply: (s, v) => void (s.rr.responseTopic = checkTopicName(v!, '-e', 'response topic')),
    },
    rrMessageSpec('-m, --message <message>', 'send this request payload'),
    rrMessageSpec('-f, --file <file>', 'send the contents of a file as the request (binary-safe; mosquitto_rr 2.0 sends an empty request instead)'),
    rrMessageSpec('-s, --stdin-file', 'send all of stdin as the request (mosquitto_rr 2.0 sends an empty request instead)'),
    rrMessageSpec('-n, --null-message', 'send a zero-length request'),
    qosSpec('QoS of the request and of the response subscription: 0, 1 or 2 (default: 0)'),
  ],
};

/** Waiting for the response. */
export const responseGroup: OptionGroup = {
  heading: 'Response:',
  specs: [
    { ...timeoutSpec, description: 'give up after this many seconds without a response: print "Timed out" and exit with status 27' },
    { ...noRetainedSpec, description: "ignore a retained message on the response topic (mosquitto_rr 2.0 accepts -R but prints it anyway)" },
    { ...retainAsPublishedSpec, description: 'MQTT v5 subscription option on the response topic: keep the retain flag as the responder set it' },
    {
      flags: '--count <n>',
      description:
        '[extra] send this many requests one after another on one connection, each after the previous answer, then print latency percentiles on stderr (default: 1)',
      missing: '--count argument given but no count specified.',
      apply: (s, v) => void (s.rr.count = intArg(v!, 1, Infinity, (n) => `Invalid request count "${n}".`)),
    },
  ],
};

/** What to request, checked as mosquitto_rr checks it before connecting. */
export function resolveRequest(state: OptionState): Omit<RrConfig, 'client'> {
  const source = messageSource(state);
  const responseTopic = state.rr.responseTopic;
  if (state.topics.length === 0 || source === undefined || responseTopic === undefined) {
    throw new CliError("Error: All of topic, message, and response topic must be supplied.\n\nUse 'mqtt rr --help' to see usage.", 1);
  }
  checkOutput(state);
  const { timeout, noRetained, retainAsPublished, verbose, noEol, format, pretty, json } = state.sub;
  return {
    topic: state.topics[0]!,
    responseTopic,
    source,
    qos: state.qos,
    count: state.rr.count,
    ...(timeout !== undefined && { timeout }),
    noRetained,
    retainAsPublished,
    verbose,
    noEol,
    ...(format !== undefined && { format }),
    pretty,
    json,
  };
}

/**
 * mosquitto_rr adds -e as the request's response-topic property and then checks the PUBLISH
 * properties again, so `-D publish response-topic` next to -e is an error (quiet with --quiet).
 */
export function checkResponseTopicProperty(state: OptionState, publishProps: Record<string, unknown> | undefined): void {
  if (publishProps?.responseTopic === undefined) return;
  throw new CliError(state.conn.quiet ? '' : 'Error in PUBLISH properties: Duplicate response topic.', 1);
}
