/**
 * A bridge's `topic` lines and how they rename topics crossing the bridge, exactly as Mosquitto
 * does it (bridge__add_topic, bridge__remap_topic_in, and the outgoing half in send__publish):
 * - the filter subscribed locally is LOCAL_PREFIX + PATTERN, remotely REMOTE_PREFIX + PATTERN;
 * - a message going out that matches a prefixed `out`/`both` entry's local filter loses the local
 *   prefix (when it starts with it) and gains the remote one; coming in, the reverse;
 * - the first prefixed entry whose filter matches decides; without one the topic is unchanged;
 * - `""` stands for "empty" in any of the three places; an empty pattern maps the single topic
 *   LOCAL_PREFIX to the single topic REMOTE_PREFIX, and then both prefixes are required.
 */
import type { QoS } from '../../core/protocol/types.js';
import { topicMatchesFilter } from '../../core/topic/match.js';
import { validateTopicFilter, validateTopicName } from '../../core/topic/validate.js';
import type { BridgeDirection, BridgeTopic } from '../config/bridge-config.js';

/** What a bad `topic` line gets, in Mosquitto's words. */
export class BridgeTopicError extends Error {}

const EMPTY = '""';

/**
 * The words of a `topic` line after the keyword: `PATTERN [out|in|both [QOS [LOCAL [REMOTE]]]]`.
 * A word starting with '#' after the direction starts a comment, as Mosquitto reads it.
 */
export function parseBridgeTopic(words: readonly string[]): BridgeTopic {
  const [patternWord, dirWord, ...rest] = words;
  if (patternWord === undefined) throw new BridgeTopicError('Empty topic value in configuration.');
  let direction: BridgeDirection = 'out';
  if (dirWord !== undefined) {
    const d = dirWord.toLowerCase();
    if (d !== 'out' && d !== 'in' && d !== 'both') throw new BridgeTopicError(`Invalid bridge topic direction '${dirWord}'.`);
    direction = d;
  }
  const end = rest.findIndex((w) => w.startsWith('#'));
  const [qosWord, localWord, remoteWord] = end < 0 ? rest : rest.slice(0, end);
  let qos: QoS = 0;
  if (qosWord !== undefined) {
    if (!/^[0-2]$/.test(qosWord)) throw new BridgeTopicError(`Invalid bridge QoS level '${qosWord}'.`);
    qos = Number(qosWord) as QoS;
  }
  const word = (w: string | undefined) => (w === undefined || w === EMPTY ? undefined : w);
  return bridgeTopic(word(patternWord), direction, qos, word(localWord), word(remoteWord));
}

/** Mosquitto's bridge__add_topic: checks the prefixes and derives both filters. */
export function bridgeTopic(pattern: string | undefined, direction: BridgeDirection, qos: QoS, localPrefix?: string, remotePrefix?: string): BridgeTopic {
  if (localPrefix !== undefined && validateTopicName(localPrefix) !== null) {
    throw new BridgeTopicError(`Invalid bridge topic local prefix '${localPrefix}'.`);
  }
  if (remotePrefix !== undefined && validateTopicName(remotePrefix) !== null) {
    throw new BridgeTopicError(`Invalid bridge topic remote prefix '${remotePrefix}'.`);
  }
  if (pattern === undefined && (localPrefix === undefined || remotePrefix === undefined)) {
    throw new BridgeTopicError('Invalid bridge remapping.');
  }
  const localTopic = (localPrefix ?? '') + (pattern ?? '');
  const remoteTopic = (remotePrefix ?? '') + (pattern ?? '');
  if (localPrefix !== undefined && validateTopicFilter(localTopic) !== null) {
    throw new BridgeTopicError(`Invalid bridge topic local prefix and pattern combination '${localTopic}'.`);
  }
  if (remotePrefix !== undefined && validateTopicFilter(remoteTopic) !== null) {
    throw new BridgeTopicError(`Invalid bridge topic remote prefix and pattern combination '${remoteTopic}'.`);
  }
  if (pattern !== undefined && localPrefix === undefined && remotePrefix === undefined && validateTopicFilter(pattern) !== null) {
    throw new BridgeTopicError(`Invalid bridge topic pattern '${pattern}'.`);
  }
  return { pattern, direction, qos, localPrefix, remotePrefix, localTopic, remoteTopic };
}

/** Whether two lines are the same topic (Mosquitto skips the second: "Duplicate bridge topic"). */
export function sameBridgeTopic(a: BridgeTopic, b: BridgeTopic): boolean {
  return (
    a.direction === b.direction &&
    a.qos === b.qos &&
    a.pattern === b.pattern &&
    a.localPrefix === b.localPrefix &&
    a.remotePrefix === b.remotePrefix
  );
}

function remapped(entry: BridgeTopic): boolean {
  return entry.localPrefix !== undefined || entry.remotePrefix !== undefined;
}

/** The topic a local message takes on the remote broker. */
export function remapOut(topics: readonly BridgeTopic[], topic: string): string {
  for (const t of topics) {
    if (t.direction === 'in' || !remapped(t) || !topicMatchesFilter(t.localTopic, topic)) continue;
    let mapped = topic;
    if (t.localPrefix !== undefined && mapped.startsWith(t.localPrefix)) mapped = mapped.slice(t.localPrefix.length);
    return (t.remotePrefix ?? '') + mapped;
  }
  return topic;
}

/** The topic a remote message takes on this broker. */
export function remapIn(topics: readonly BridgeTopic[], topic: string): string {
  for (const t of topics) {
    if (t.direction === 'out' || !remapped(t) || !topicMatchesFilter(t.remoteTopic, topic)) continue;
    let mapped = topic;
    if (t.remotePrefix !== undefined && mapped.startsWith(t.remotePrefix)) mapped = mapped.slice(t.remotePrefix.length);
    return (t.localPrefix ?? '') + mapped;
  }
  return topic;
}
