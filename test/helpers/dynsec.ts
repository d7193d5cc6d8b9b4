import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';

/**
 * Mosquitto's dynamic security plugin, wherever the distribution put it (Debian:
 * /usr/lib/<arch>/mosquitto_dynamic_security.so); undefined when it is not installed.
 */
export function dynsecPlugin(): string | undefined {
  return ['/usr/lib', '/usr/local/lib', '/usr/lib64']
    .flatMap((dir) => {
      try {
        return [dir, ...readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => path.join(dir, e.name))];
      } catch {
        return [];
      }
    })
    .map((dir) => path.join(dir, 'mosquitto_dynamic_security.so'))
    .find((file) => existsSync(file));
}

/**
 * One conversation as mosquitto_ctrl command words (admin must exist): its outputs are compared
 * between brokers and between mosquitto_ctrl and mqtt ctrl.
 */
export const DYNSEC_SCRIPT: string[][] = [
  ['createClient', 'alice', '-p', 'secret', '-c', 'alice-id'],
  ['createClient', 'bob', '-p', 'bobpw'],
  ['createRole', 'reader'],
  ['addRoleACL', 'reader', 'subscribePattern', 'sensors/#', 'allow'],
  ['addRoleACL', 'reader', 'publishClientReceive', 'sensors/#', 'allow', '5'],
  ['addRoleACL', 'reader', 'publishClientReceive', 'sensors/secret', 'deny', '10'],
  ['createRole', 'writer'],
  ['addRoleACL', 'writer', 'publishClientSend', 'sensors/+', 'allow'],
  ['createGroup', 'staff'],
  ['addGroupRole', 'staff', 'reader', '3'],
  ['addGroupClient', 'staff', 'alice'],
  ['addClientRole', 'bob', 'writer'],
  ['addClientRole', 'bob', 'writer'],
  ['createClient', 'alice', '-p', 'again'],
  ['removeRoleACL', 'reader', 'subscribeLiteral', 'nothing'],
  ['setDefaultACLAccess', 'subscribe', 'deny'],
  ['listClients'],
  ['listGroups'],
  ['listRoles'],
  ['getClient', 'alice'],
  ['getClient', 'bob'],
  ['getGroup', 'staff'],
  ['getRole', 'reader'],
  ['getDefaultACLAccess'],
  ['getAnonymousGroup'],
  ['getClient', 'nobody'],
  ['deleteRole', 'nobody'],
];

