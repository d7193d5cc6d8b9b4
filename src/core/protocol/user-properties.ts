/**
 * MQTT 5 user properties in wire order. mqtt-packet parses them into a record (repeated keys
 * folded into an array next to the first one), so a=1 b=2 a=3 comes out as {a: [1, 3], b: 2}
 * and is written back as a=1 a=3 b=2; but "the Server MUST maintain the order of User Properties
 * when forwarding the Application Message" [MQTT-3.3.2-18], and mosquitto_sub prints them in wire
 * order. The record stays what everybody reads; the ordered pairs ride along under a symbol (not
 * seen by Object.keys, JSON.stringify, or mqtt-packet's writer, which uses getOwnPropertyNames),
 * and the encoder writes from them: mqtt-packet writes a property given as an array one element
 * after the other, so one single-pair record per pair keeps the order.
 */

export type UserPropertyRecord = Record<string, string | string[]>;
export type UserPropertyPair = readonly [string, string];

const WIRE_ORDER = Symbol('user properties in wire order');

type Ordered = UserPropertyRecord & { [WIRE_ORDER]?: UserPropertyPair[] };

/** The pairs of a userProperties record in wire order (record order when not known). */
export function userPropertyList(record: unknown): UserPropertyPair[] {
  if (!record || typeof record !== 'object') return [];
  const known = (record as Ordered)[WIRE_ORDER];
  if (known) return [...known];
  const pairs: UserPropertyPair[] = [];
  for (const key of Object.keys(record)) {
    const v = (record as UserPropertyRecord)[key];
    if (Array.isArray(v)) for (const item of v) pairs.push([key, String(item)]);
    else pairs.push([key, String(v)]);
  }
  return pairs;
}

/** A userProperties record (null prototype, as mqtt-packet builds) that remembers the order of `pairs`. */
export function orderedUserProperties(pairs: readonly UserPropertyPair[]): UserPropertyRecord {
  const record = Object.create(null) as Ordered;
  for (const [k, v] of pairs) {
    const prev = record[k];
    record[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  Object.defineProperty(record, WIRE_ORDER, { value: pairs.map(([k, v]) => [k, v] as const), enumerable: false });
  return record;
}

/** Whether the record order differs from the wire order (a repeated key with another key between). */
function needsOrder(record: Ordered): boolean {
  const pairs = record[WIRE_ORDER];
  if (!pairs) return false;
  const recordOrder = userPropertyList(Object.assign(Object.create(null), record));
  return pairs.some(([k, v], i) => recordOrder[i]![0] !== k || recordOrder[i]![1] !== v);
}

/**
 * Properties ready for mqtt-packet's writer: userProperties as one single-pair record per pair
 * when the wire order matters, else untouched (the same object, no copy).
 */
export function propertiesForEncoding<P extends { userProperties?: unknown } | undefined>(props: P): P {
  const record = props?.userProperties as Ordered | undefined;
  if (!record || !needsOrder(record)) return props;
  const list = record[WIRE_ORDER]!.map(([k, v]) => Object.assign(Object.create(null), { [k]: v }) as UserPropertyRecord);
  return { ...props, userProperties: list } as P;
}

/** The parser internals wrapped below (mqtt-packet 9's Parser). */
interface PairParser {
  _parseStringPair(): { name: string; value: string } | null;
  _parseProperties(): Record<string, unknown> | false;
}

/**
 * Makes a mqtt-packet parser remember the wire order of the user properties of every property
 * block it parses (CONNECT's will properties are a block of their own).
 */
export function keepUserPropertyOrder(parser: object): void {
  const p = parser as PairParser;
  const parsePair = p._parseStringPair;
  const parseProperties = p._parseProperties;
  let current: UserPropertyPair[] | undefined;
  p._parseStringPair = function (this: PairParser) {
    const pair = parsePair.call(this);
    if (pair && current) current.push([pair.name, pair.value]);
    return pair;
  };
  p._parseProperties = function (this: PairParser) {
    const outer = current;
    current = [];
    try {
      const result = parseProperties.call(this);
      const record = result ? (result.userProperties as Ordered | undefined) : undefined;
      if (record && current.length > 0) Object.defineProperty(record, WIRE_ORDER, { value: current, enumerable: false });
      return result;
    } finally {
      current = outer;
    }
  };
}

/** A packet whose user properties (its own and its will's) mqtt-packet will write in wire order. */
export function packetForEncoding<T extends object>(packet: T): T {
  const p = packet as { properties?: { userProperties?: unknown }; will?: { properties?: { userProperties?: unknown } } };
  const props = p.properties;
  const will = p.will;
  const ordered = propertiesForEncoding(props);
  const willProps = propertiesForEncoding(will?.properties);
  if (ordered === props && willProps === will?.properties) return packet;
  return { ...packet, ...(ordered && { properties: ordered }), ...(will && { will: { ...will, properties: willProps } }) };
}
