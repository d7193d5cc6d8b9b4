import { parseCJson } from '../../output/cjson.js';
import { CLIENT_COMMANDS } from './client-commands.js';
import { logLine, reply, replyData, type CommandContext, type CommandHandler } from './command-context.js';
import { GROUP_COMMANDS } from './group-commands.js';
import { arrayItems, item, isBool, text, type Out } from './json.js';
import type { DefaultAccess } from './model.js';
import { ROLE_COMMANDS } from './role-commands.js';

/** The topic commands arrive on, and the one responses go to. */
export const CONTROL_TOPIC = '$CONTROL/dynamic-security/v1';
export const RESPONSE_TOPIC = `${CONTROL_TOPIC}/response`;

const DEFAULT_ACCESS_NAMES: Record<string, keyof DefaultAccess> = {
  publishclientsend: 'publishClientSend',
  publishclientreceive: 'publishClientReceive',
  subscribe: 'subscribe',
  unsubscribe: 'unsubscribe',
};

const setDefaultACLAccess: CommandHandler = (ctx, command, cd) => {
  const name = 'setDefaultACLAccess';
  const acls = arrayItems(item(command, 'acls'));
  if (!acls) return reply(ctx, name, 'Missing/invalid actions array', cd);
  for (const a of acls) {
    const type = text(item(a, 'acltype'));
    const allow = item(a, 'allow');
    if (type === undefined || !isBool(allow)) continue;
    const key = DEFAULT_ACCESS_NAMES[type.toLowerCase()];
    if (key) ctx.state.defaultAccess[key] = allow?.kind === 'true';
    logLine(ctx, name, `acltype=${type} | allow=${allow?.kind}`);
  }
  ctx.state.changed();
  ctx.save();
  reply(ctx, name, undefined, cd);
};

const getDefaultACLAccess: CommandHandler = (ctx, _command, cd) => {
  logLine(ctx, 'getDefaultACLAccess', '');
  const d = ctx.state.defaultAccess;
  replyData(
    ctx,
    'getDefaultACLAccess',
    {
      acls: [
        { acltype: 'publishClientSend', allow: d.publishClientSend },
        { acltype: 'publishClientReceive', allow: d.publishClientReceive },
        { acltype: 'subscribe', allow: d.subscribe },
        { acltype: 'unsubscribe', allow: d.unsubscribe },
      ],
    },
    cd,
  );
};

/** Command names are matched ignoring case (strcasecmp), as the plugin does. */
const COMMANDS = new Map<string, CommandHandler>(
  Object.entries({ setDefaultACLAccess, getDefaultACLAccess, ...CLIENT_COMMANDS, ...GROUP_COMMANDS, ...ROLE_COMMANDS }).map(([k, v]) => [k.toLowerCase(), v]),
);

/** Every command name the API knows, for `mqtt ctrl` and tests. */
export const COMMAND_NAMES: readonly string[] = [
  'setDefaultACLAccess',
  'getDefaultACLAccess',
  ...Object.keys(CLIENT_COMMANDS),
  ...Object.keys(GROUP_COMMANDS),
  ...Object.keys(ROLE_COMMANDS),
];

/**
 * One $CONTROL/dynamic-security/v1 payload: {"commands":[...]} in, {"responses":[...]} out, one
 * response per command in order (dynsec_control_callback and dynsec__handle_control). Nothing a
 * payload holds can throw: bad JSON and bad commands only earn error responses.
 */
export function runControl(ctx: Omit<CommandContext, 'responses'>, payload: Buffer): string {
  const responses: Out[] = [];
  const full: CommandContext = { ...ctx, responses };
  const tree = parseCJson(payload);
  if (tree === undefined) {
    reply(full, 'Unknown command', 'Payload not valid JSON', undefined);
    return JSON.stringify({ responses });
  }
  const commands = arrayItems(item(tree, 'commands'));
  if (!commands) {
    reply(full, 'Unknown command', 'Invalid/missing commands', undefined);
    return JSON.stringify({ responses });
  }
  for (const command of commands) {
    if (command.kind !== 'object') {
      reply(full, 'Unknown command', 'Command not an object', undefined);
      continue;
    }
    const name = text(item(command, 'command'));
    if (name === undefined) {
      reply(full, 'Unknown command', 'Missing command', undefined);
      continue;
    }
    const correlation = item(command, 'correlationData');
    if (correlation !== undefined && correlation.kind !== 'string') {
      // the plugin stops at this one: later commands of the payload are not run
      reply(full, name, 'Invalid correlationData data type.', undefined);
      break;
    }
    const cd = text(correlation);
    const handler = COMMANDS.get(name.toLowerCase());
    if (!handler) reply(full, name, 'Unknown command', cd);
    else handler(full, command, cd);
  }
  return JSON.stringify({ responses });
}
