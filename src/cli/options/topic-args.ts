import { validateTopicFilter, validateTopicName, validateUtf8String } from '../../core/topic/validate.js';
import { UsageError } from '../errors.js';
import type { OptionState } from './state.js';

/**
 * Topic arguments checked the way mosquitto's clients check them (UTF-8 first, with control
 * characters rejected like mosquitto_validate_utf8, then the wildcard rules), with its words.
 * One deviation: an empty topic is refused here [MQTT-4.7.3-1] instead of failing after connect.
 */

function checkUtf8(value: string, argName: string): void {
  if (validateUtf8String(value, { strict: true })) throw new UsageError(`Malformed UTF-8 in ${argName} argument.`);
}

function refuseEmpty(value: string, what: string): void {
  if (value.length === 0) throw new UsageError(`Invalid ${what} '', a topic must not be empty.`);
}

/** -t / -L topic of pub, --will-topic: a topic name, no wildcards. */
export function checkTopicName(topic: string, argName: string, what: 'publish topic' | 'will topic' | 'response topic'): string {
  checkUtf8(topic, argName);
  refuseEmpty(topic, what);
  if (validateTopicName(topic)) throw new UsageError(`Invalid ${what} '${topic}', does it contain '+' or '#'?`);
  return topic;
}

/** -t / -L topic, -T and -U of sub: a topic filter. */
export function checkTopicFilter(filter: string, argName: string, what: 'subscription topic' | 'filter topic' | 'unsubscribe topic'): string {
  checkUtf8(filter, argName);
  refuseEmpty(filter, what);
  if (validateTopicFilter(filter)) throw new UsageError(`Invalid ${what} '${filter}', are all '+' and '#' wildcards correct?`);
  return filter;
}

/** -t and the topic part of -L: pub and rr keep the last one, sub subscribes to all of them. */
export function addTopic(state: OptionState, topic: string, argName: string): void {
  if (state.kind !== 'sub') state.topics = [checkTopicName(topic, argName, 'publish topic')];
  else state.topics.push(checkTopicFilter(topic, argName, 'subscription topic'));
}
