import { isIP } from 'node:net';
import { ConfigError } from '../../../core/errors';
import { NodeLogging, rootLogger } from '../../../core/node/logger';
import { InspectorServer } from './inspector-server';

/** Fabric's chaincode logger family: `chaincode.inspector=debug` in a logging spec reaches this one. */
const LOGGER = 'chaincode.inspector';

export interface InspectorOptions {
  readonly host: string;
  readonly port: number;
  readonly allowRemote: boolean;
}

/** True for an address only this machine reaches: 127.0.0.0/8, ::1, `localhost`. */
export function isLoopback(host: string): boolean {
  if (host === 'localhost' || host === '::1' || host === '[::1]') return true;
  return isIP(host) === 4 && host.startsWith('127.');
}

/**
 * Debug mode's DevTools server, listening, or undefined when the option is absent. A DevTools
 * client runs any code it likes in the peer's process (`Runtime.evaluate` in a chaincode is a
 * step from the host table), so a host other machines reach is a `ConfigError` unless
 * `allowRemote` is set, and the node's log says loudly that debugging is on.
 */
export function startInspector(options: InspectorOptions | undefined, logging: NodeLogging | undefined): InspectorServer | undefined {
  if (options === undefined) return undefined;
  if (!isLoopback(options.host) && !options.allowRemote) {
    throw new ConfigError(
      'RUNTIME_INSPECTOR_REMOTE',
      `plugins.runtime.options.inspector.host is ${JSON.stringify(options.host)}, an address other machines may reach: whoever connects to a chaincode debugger can run code in the peer`,
      {
        field: 'plugins.runtime.options.inspector.host',
        value: options.host,
        suggestions: ['use 127.0.0.1 and reach it through an SSH tunnel (ssh -L 9229:127.0.0.1:9229 <peer host>)', 'or set inspector.allowRemote: true on a network you trust'],
      },
    );
  }
  const server = new InspectorServer(options);
  const logger = logging?.logger(LOGGER) ?? rootLogger.child({ component: LOGGER });
  server.address().then(
    ({ port }) => logger.warn({ host: options.host, port }, `chaincode debugging enabled on ${options.host}:${port} — do not use in production (DevTools targets at http://${options.host}:${port}/json/list)`),
    (err: Error) => logger.error({ err }, err.message),
  );
  return server;
}
