import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { ChaincodeError } from '../../../core/errors';
import type { NetworkLayout, NodeLayout } from '../network/network-layout';
import { shellWord } from '../../../core/node/shell-word';

/** A chaincode's DevTools target on one peer, as the peer's `/json/list` names it. */
export interface ChaincodeDebugTarget {
  readonly packageId: string;
  readonly webSocketDebuggerUrl: string;
  readonly devtoolsFrontendUrl: string;
}

/** What `weft chaincode debug` found on one peer. */
export interface PeerDebugInfo {
  readonly peer: string;
  readonly inspector: { readonly host: string; readonly port: number };
  /** The chaincode's packages there, the one installed last first; empty when none is installed (yet). */
  readonly targets: ChaincodeDebugTarget[];
  /** Why the peer could not be asked (not running, not in debug mode since its last start). */
  readonly error?: string;
}

/** The `inspector` runtime option of a peer's config file, if debug mode is set there. */
export function inspectorOf(node: NodeLayout): { host: string; port: number } | undefined {
  let config: { plugins?: { runtime?: { options?: { inspector?: { host?: unknown; port?: unknown } } } } };
  try {
    config = parseYaml(fs.readFileSync(node.configFile, 'utf8')) as typeof config;
  } catch {
    return undefined;
  }
  const inspector = config?.plugins?.runtime?.options?.inspector;
  if (inspector === undefined || inspector === null) return undefined;
  // The runtime's own defaults (isolated-vm-runtime-options.ts).
  return { host: typeof inspector.host === 'string' ? inspector.host : '127.0.0.1', port: typeof inspector.port === 'number' ? inspector.port : 9229 };
}

/** True for a package of chaincode `name` by the labels deploy gives (`<name>_<version>`, `…-dev.<time>` in a watch loop). */
function labelledFor(packageId: string, name: string): boolean {
  const label = packageId.slice(0, packageId.lastIndexOf(':'));
  return label === name || (label.startsWith(name) && /^[_.+-]/.test(label.slice(name.length)));
}

/**
 * `weft chaincode debug`: each peer in debug mode (the `inspector` runtime option in its config)
 * and the DevTools targets of chaincode `name` there. Throws `CHAINCODE_DEBUG_OFF`, saying how to
 * turn it on, when no peer of the directory has debug mode set.
 */
export async function chaincodeDebugInfo(layout: NetworkLayout, name: string, peerId?: string): Promise<PeerDebugInfo[]> {
  const peers = layout.peers().filter((p) => peerId === undefined || p.id === peerId);
  if (peers.length === 0) {
    throw new ChaincodeError('PEER_NOT_FOUND', `no peer ${peerId ?? ''} in ${layout.dir}`, { field: '--peer', value: peerId, peers: layout.peers().map((p) => p.id) });
  }
  const debugging = peers.flatMap((node) => {
    const inspector = inspectorOf(node);
    return inspector === undefined ? [] : [{ node, inspector }];
  });
  if (debugging.length === 0) {
    const node = peers[0]!;
    throw new ChaincodeError('CHAINCODE_DEBUG_OFF', `chaincode debugging is not enabled on ${peers.map((p) => p.id).join(', ')}: their configs set no plugins.runtime.options.inspector`, {
      field: 'plugins.runtime.options.inspector',
      suggestions: [
        `add to ${path.relative(process.cwd(), node.configFile)}, under plugins.runtime.options: "inspector: { port: 9229 }" (a port of its own per peer), then restart the peer: weft network down ${shellWord(layout.dir)} && weft network up ${shellWord(layout.dir)}`,
        'or make a development network with every peer in debug mode: weft network init <new dir> --chaincode-debug',
        'only on a development network: whoever reaches the port can run code in the peer',
      ],
    });
  }
  return Promise.all(
    debugging.map(async ({ node, inspector }): Promise<PeerDebugInfo> => {
      try {
        const res = await fetch(`http://${inspector.host}:${inspector.port}/json/list`, { signal: AbortSignal.timeout(5_000) });
        const listed = (await res.json()) as { title: string; webSocketDebuggerUrl: string; devtoolsFrontendUrl: string }[];
        const targets = listed
          .map((t) => ({ packageId: t.title.replace(/^chaincode /, ''), webSocketDebuggerUrl: t.webSocketDebuggerUrl, devtoolsFrontendUrl: t.devtoolsFrontendUrl }))
          .filter((t) => labelledFor(t.packageId, name));
        return { peer: node.id, inspector, targets };
      } catch (err) {
        return { peer: node.id, inspector, targets: [], error: `${inspector.host}:${inspector.port} does not answer (${(err as Error).message}): is the peer running, and restarted since debug mode was set?` };
      }
    }),
  );
}

/** A VS Code `launch.json` configuration attaching to a peer's chaincode debugger, the project's files mapped. */
export function vscodeLaunchConfig(name: string, info: PeerDebugInfo, projectDir: string | undefined): Record<string, unknown> {
  return {
    type: 'node',
    request: 'attach',
    name: `Weft chaincode ${name} (${info.peer})`,
    address: info.inspector.host,
    port: info.inspector.port,
    // The peer lists the package installed last first, which VS Code attaches to; a redeploy
    // installs a new one: restart the debug session to follow it.
    restart: false,
    sourceMaps: true,
    sourceMapPathOverrides: { 'chaincode:///*': `${projectDir === undefined ? '${workspaceFolder}' : path.resolve(projectDir)}/*` },
    skipFiles: ['chaincode:///weft/**', 'chaincode:///node_modules/**', '<node_internals>/**'],
  };
}
