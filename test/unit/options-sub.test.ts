import { describe, expect, it } from 'vitest';
import { resolveSubArgs } from '../../src/commands/sub.js';
import { errorText, testContext } from './options-fixtures.js';

const ctx = testContext();
const sub = (...argv: string[]) => resolveSubArgs(argv, ctx);
const subError = (...argv: string[]) => errorText(() => sub(...argv), 'sub');
const hint = "\nUse 'mqtt sub --help' to see usage.";

describe('subscribe defaults', () => {
  it('QoS 0, no filters, no limits, default output', async () => {
    const { client, ...rest } = await sub('-t', 'a/#');
    expect(rest).toEqual({
      topics: ['a/#'],
      qos: 0,
      filterOut: [],
      unsubscribe: [],
      count: undefined,
      timeout: undefined,
      idleTimeout: undefined,
      exitAfterSubscribe: false,
      noRetained: false,
      retainedOnly: false,
      removeRetained: false,
      retainAsPublished: false,
      noLocal: false,
      randomFilter: undefined,
      verbose: false,
      noEol: false,
      format: undefined,
      pretty: false,
      json: false,
    });
    expect(client.endpoint).toEqual({ scheme: 'mqtt', host: 'localhost', port: 1883 });
  });
});

describe('each subscribe and output option', () => {
  const cases: Array<[string, string[], object]> = [
    ['-t repeated, in order', ['-t', 'a', '-t', 'b/+', '-t', '#'], { topics: ['a', 'b/+', '#'] }],
    ['--topic', ['--topic', '$SYS/#'], { topics: ['$SYS/#'] }],
    ['-L adds a subscription', ['-L', 'mqtt://h/x/#', '-t', 'y'], { topics: ['x/#', 'y'] }],
    ['-T', ['-t', '#', '-T', 'a/+', '-T', 'b/#'], { filterOut: ['a/+', 'b/#'] }],
    ['--filter-out', ['-t', '#', '--filter-out', 'a'], { filterOut: ['a'] }],
    ['-U', ['-t', 'a', '-U', 'b', '-U', 'c/#'], { unsubscribe: ['b', 'c/#'] }],
    ['--unsubscribe', ['-t', 'a', '--unsubscribe', 'b'], { unsubscribe: ['b'] }],
    ['-q', ['-t', 'a', '-q', '2'], { qos: 2 }],
    ['-C', ['-t', 'a', '-C', '5'], { count: 5 }],
    ['-C is atoi', ['-t', 'a', '-C', '2.5'], { count: 2 }],
    ['-W', ['-t', 'a', '-W', '10'], { timeout: 10 }],
    ['-E', ['-t', 'a', '-E'], { exitAfterSubscribe: true }],
    ['-R', ['-t', 'a', '-R'], { noRetained: true }],
    ['--retained-only', ['-t', 'a', '--retained-only'], { retainedOnly: true }],
    ['--remove-retained', ['-t', 'a', '--remove-retained'], { removeRetained: true }],
    ['--retain-as-published', ['-t', 'a', '--retain-as-published'], { retainAsPublished: true }],
    ['--random-filter', ['-t', 'a', '--random-filter', '50'], { randomFilter: 50 }],
    ['--random-filter 0.1', ['-t', 'a', '--random-filter', '0.1'], { randomFilter: 0.1 }],
    ['--random-filter keeps tenths', ['-t', 'a', '--random-filter', '33.33'], { randomFilter: 33.3 }],
    ['-v', ['-t', 'a', '-v'], { verbose: true }],
    ['--verbose', ['-t', 'a', '--verbose'], { verbose: true }],
    ['-N', ['-t', 'a', '-N'], { noEol: true }],
    ['-F', ['-t', 'a', '-F', '%t %p @Y %05l \\n'], { format: '%t %p @Y %05l \\n' }],
    ['--pretty', ['-t', 'a', '--pretty'], { pretty: true }],
    ['--json', ['-t', 'a', '--json'], { json: true }],
    ['--idle-timeout', ['-t', 'a', '--idle-timeout', '2.5'], { idleTimeout: 2.5 }],
    ['--no-local', ['-t', 'a', '--no-local'], { noLocal: true }],
    ['-c with -i', ['-t', 'a', '-c', '-i', 'me'], { client: { cleanSession: false, clientId: 'me' } }],
  ];
  it.each(cases)('%s', async (_name, argv, expected) => {
    expect(await sub(...argv)).toMatchObject(expected);
  });
});

describe('subscribe errors, with mosquitto_sub 2.0.11’s words', () => {
  const usage: Array<[string[], string]> = [
    [[], 'You must specify a topic to subscribe to.'],
    [['-U', 'a'], 'You must specify a topic to subscribe to.'],
    [['-v', '-p', '1'], 'You must specify a topic to subscribe to.'],
    [['-t', 'a/#/b'], "Invalid subscription topic 'a/#/b', are all '+' and '#' wildcards correct?"],
    [['-t', 'a/+b'], "Invalid subscription topic 'a/+b', are all '+' and '#' wildcards correct?"],
    [['-t', ''], "Invalid subscription topic '', a topic must not be empty."],
    [['-t', 'a\u0007'], 'Malformed UTF-8 in -t argument.'],
    [['-L', 'mqtt://h/a/#/b'], "Invalid subscription topic 'a/#/b', are all '+' and '#' wildcards correct?"],
    [['-L', 'mqtt://h/a\u0007'], 'Malformed UTF-8 in -L topic argument.'],
    [['-t', 'a', '-T', 'a/#/b'], "Invalid filter topic 'a/#/b', are all '+' and '#' wildcards correct?"],
    [['-t', 'a', '-T', 'a\u0001'], 'Malformed UTF-8 in -T argument.'],
    [['-t', 'a', '-U', 'a#'], "Invalid unsubscribe topic 'a#', are all '+' and '#' wildcards correct?"],
    [['-t', 'a', '-U', 'a\u0001'], 'Malformed UTF-8 in -U argument.'],
    [['-t', 'a', '-q', '3'], 'Invalid QoS given: 3'],
    [['-t', 'a', '-C', '0'], 'Invalid message count "0".'],
    [['-t', 'a', '-C', 'abc'], 'Invalid message count "0".'],
    [['-t', 'a', '-W', '0'], 'Invalid timeout "0".'],
    [['-t', 'a', '-W', '4294967296'], 'Invalid timeout "0".'],
    [['-t', 'a', '-F', '%e'], "Invalid format specifier 'e'."],
    [['-t', 'a', '-F', '%'], 'Incomplete format specifier.'],
    [['-t', 'a', '-F', '%10'], 'Incomplete format specifier.'],
    [['-t', 'a', '-F', '\\y'], "Invalid escape specifier 'y'."],
    [['-t', 'a', '-F', 'x\\'], 'Incomplete escape specifier.'],
    [['-t', 'a', '--random-filter', '0'], '--random-filter chance must be between 0.1-100.0'],
    [['-t', 'a', '--random-filter', '0.05'], '--random-filter chance must be between 0.1-100.0'],
    [['-t', 'a', '--random-filter', '1000.1'], '--random-filter chance must be between 0.1-100.0'],
    [['-t', 'a', '--idle-timeout', '0'], 'Invalid idle timeout "0", it must be a number of seconds above 0.'],
    [['-t', 'a', '--idle-timeout', '5s'], 'Invalid idle timeout "5s", it must be a number of seconds above 0.'],
    [['-t', 'a', '--json', '-F', '%t'], '--json and -F cannot be used together.'],
    [['-t', 'a', '-c'], 'You must provide a client id if you are using the -c option.'],
    [['-t', 'a', '-V', '5', '-c'], 'You must provide a client id if you are using an infinite session expiry interval.'],
    [['-t', 'a', '-m', 'x'], "Unknown option '-m'."],
    [['-t', 'a', '-r'], "Unknown option '-r'."],
    [['-t', 'a', '--repeat', '2'], "Unknown option '--repeat'."],
    [['-t', 'a', '--fail-on-reason'], "Unknown option '--fail-on-reason'."],
    [['-t', 'a', '-D', 'subscribe', 'content-type', 'x'], 'content-type property not allowed for subscribe in --property argument.'],
    // the topic check comes before the property checks in client_config_load
    [['-D', 'connect', 'receive-maximum', '0'], 'You must specify a topic to subscribe to.'],
  ];
  it.each(usage)('%j', async (argv, message) => {
    expect(await subError(...argv)).toBe(`Error: ${message}${hint}`);
  });

  const runtime: Array<[string[], string]> = [
    [['-t', 'a', '-R', '--retained-only'], "Error: Combining '-R' and '--retained-only' makes no sense."],
    [['-t', 'a', '-V', '5', '-c', '-x', '60'], 'Error: Invalid id and/or clean_session.'],
    [['-t', 'a', '-D', 'connect', 'receive-maximum', '0'], `Error in CONNECT properties: A network protocol error occurred when communicating with the broker.${hint}`],
  ];
  it.each(runtime)('%j', async (argv, text) => {
    expect(await subError(...argv)).toBe(text);
  });

  it('checks -F when it is given, before later options', async () => {
    expect(await subError('-t', 'a', '-F', '%e', '-q', '3')).toBe(`Error: Invalid format specifier 'e'.${hint}`);
    expect(await subError('-t', 'a', '-q', '3', '-F', '%e')).toBe(`Error: Invalid QoS given: 3${hint}`);
  });
});
