import type { Command } from 'commander';
import type { RrConfig } from '../cli/options/rr-config.js';
import { checkClientOptions, processContext, resolveClientConfig, type ResolveContext } from '../cli/options/client-config.js';
import { clientCommand } from '../cli/options/client-command.js';
import { connectionGroup } from '../cli/options/connection.js';
import type { OptionEvent, OptionGroup } from '../cli/options/option-command.js';
import { optionsFileGroup } from '../cli/options/options-file.js';
import { outputGroup } from '../cli/options/output.js';
import { collectOptions, parseArgv } from '../cli/options/pipeline.js';
import { propertiesGroup } from '../cli/options/properties.js';
import { checkResponseTopicProperty, requestGroup, resolveRequest, responseGroup } from '../cli/options/request.js';
import { tlsGroup } from '../cli/options/tls.js';
import { willGroup } from '../cli/options/will.js';
import { runRr } from './rr-run.js';

const RR_GROUPS: OptionGroup[] = [requestGroup, responseGroup, outputGroup, connectionGroup, willGroup, tlsGroup, propertiesGroup];
// -o and --profile read files of these same options (and may name more files)
RR_GROUPS.push(optionsFileGroup(() => RR_GROUPS));

export function rrCommand(): Command {
  return clientCommand({
    kind: 'rr',
    description: 'Publish a request and print the response (MQTT v5 request/response): a drop-in mosquitto_rr.',
    usage: '{-t topic | -L URL} -e response-topic {-m message | -f file | -s | -n} [options]',
    groups: RR_GROUPS,
    run: async (events) => runRr(await resolveRrEvents(events, processContext())),
  });
}

/** The RrConfig for recorded command-line options (defaults file and environment included). */
export async function resolveRrEvents(argvEvents: readonly OptionEvent[], ctx: ResolveContext): Promise<RrConfig> {
  const state = collectOptions('rr', RR_GROUPS, argvEvents, ctx);
  const checked = checkClientOptions(state);
  const request = resolveRequest(state);
  checkResponseTopicProperty(state, checked.properties.publish);
  return { client: await resolveClientConfig(state, checked, ctx), ...request };
}

/** The RrConfig for `mqtt rr <argv…>`, as the command would run it. */
export function resolveRrArgs(argv: readonly string[], ctx: ResolveContext): Promise<RrConfig> {
  return resolveRrEvents(parseArgv('rr', RR_GROUPS, argv), ctx);
}
