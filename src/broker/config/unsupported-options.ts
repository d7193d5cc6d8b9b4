/**
 * mosquitto.conf options the broker does not implement, in two kinds. Refused: a configuration
 * relies on them to keep clients out or traffic secret, so starting without them would run a
 * broker more open than the file says. Ignored: nothing about who may connect, read or write
 * depends on them, so a warning is enough.
 */

const TLS_ENGINE = 'TLS engines are not supported, so the listener could not use its key as configured';

/** option -> why running without it would be less secure */
export const REFUSED_OPTIONS: ReadonlyMap<string, string> = new Map([
  ['tls_engine', TLS_ENGINE],
  ['tls_engine_kpass_sha1', TLS_ENGINE],
  ['use_subject_as_username', 'clients would choose their own username instead of getting their certificate subject'],
  ['use_username_as_clientid', "clients could pick client ids that take over other users' sessions"],
  ['clientid_prefixes', 'clients with any client id would be accepted'],
  ['mount_point', "clients of the listener would reach topics outside its mount point"],
  ['bind_interface', 'the listener would accept connections on every interface, not only the one named'],
]);

/** Nothing is refused by prefix any more: plugin_opt_/auth_opt_ lines go to plugin-options.ts. */
export function refusedPrefix(_keyword: string): string | undefined {
  return undefined;
}


/** option -> why it is ignored; a warning names the line */
export const IGNORED_OPTIONS: ReadonlyMap<string, string> = new Map([
  ['http_dir', 'the websockets listener does not serve files'],
  ['websockets_log_level', 'not used by this websockets implementation'],
  ['websockets_headers_size', 'not used by this websockets implementation'],
  ['pid_file', 'no pid file is written'],
  ['allow_duplicate_messages', 'deprecated in Mosquitto 2.0, duplicates are always allowed'],
  ['retry_interval', 'removed in Mosquitto 2.0'],
  ['tls_keyform', 'keys are read as PEM'],
]);
