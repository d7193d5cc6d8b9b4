/**
 * Single-filter topic matching (section 4.7). Used where one filter meets one topic (sub's
 * --filter-out, ACL patterns, tests); the broker routes through the trie instead.
 * Both arguments are assumed valid; a shared subscription must be passed without `$share/name/`.
 */

const PLUS = 0x2b;
const HASH = 0x23;

function levelEnd(s: string, from: number): number {
  const i = s.indexOf('/', from);
  return i === -1 ? s.length : i;
}

function sameLevel(filter: string, fi: number, fe: number, topic: string, ti: number, te: number): boolean {
  if (fe - fi !== te - ti) return false;
  for (let k = 0; k < fe - fi; k++) {
    if (filter.charCodeAt(fi + k) !== topic.charCodeAt(ti + k)) return false;
  }
  return true;
}

function isWildcardLevel(filter: string, start: number, end: number, wildcard: number): boolean {
  return end - start === 1 && filter.charCodeAt(start) === wildcard;
}

/** Whether `topic` (a topic name) matches `filter` (a topic filter). */
export function topicMatchesFilter(filter: string, topic: string): boolean {
  // [MQTT-4.7.2-1] a filter starting with a wildcard must not match a topic starting with '$'
  if (topic.charCodeAt(0) === 0x24 /* $ */) {
    const first = filter.charCodeAt(0);
    if (first === PLUS || first === HASH) return false;
  }
  // Walk both strings level by level with indexes: no split, no regex, no allocation.
  let fi = 0;
  let ti = 0;
  for (;;) {
    const fe = levelEnd(filter, fi);
    // '#' matches whatever remains, including nothing below the parent level
    if (isWildcardLevel(filter, fi, fe, HASH)) return true;
    const te = levelEnd(topic, ti);
    // '+' matches any single level, empty ones included; otherwise levels must be equal
    if (!isWildcardLevel(filter, fi, fe, PLUS) && !sameLevel(filter, fi, fe, topic, ti, te)) return false;
    const filterDone = fe === filter.length;
    const topicDone = te === topic.length;
    if (filterDone || topicDone) {
      if (filterDone && topicDone) return true;
      // "a/#" also matches "a": the parent level of a multi-level wildcard
      return topicDone && fe + 2 === filter.length && filter.charCodeAt(fe + 1) === HASH;
    }
    fi = fe + 1;
    ti = te + 1;
  }
}
