import { X509Certificate } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { WeftError } from '../../../core/errors';
import type { NetworkLayout, NodeLayout } from './network-layout';
import { NETWORK_FILE } from './network-spec';
import { shellWord } from '../../../core/node/shell-word';

const portOf = (address: unknown): string | undefined => (typeof address === 'string' ? address.slice(address.lastIndexOf(':') + 1) : undefined);

/**
 * What `weft network init` fixed for a node and network.yaml no longer says, if anything: its TLS
 * certificate names the hosts it had then, and its config the ports. A host or port edited in
 * network.yaml afterwards would otherwise surface as TLS failures or a node nobody can reach.
 */
export function nodeDrift(node: NodeLayout): string | undefined {
  let config: Record<string, Record<string, unknown> | undefined>;
  try {
    config = parseYaml(fs.readFileSync(node.configFile, 'utf8')) as typeof config;
  } catch {
    return undefined; // a missing or broken config is the node's own error to report
  }
  const [host, port] = [node.host, portOf(node.address)];
  const listening = node.kind === 'peer' ? config.peer?.externalAddress : config.orderer?.listenAddress;
  if (portOf(listening) !== port) return `its config ${node.configFile} has port ${portOf(listening)}`;
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(fs.readFileSync(path.join(node.tlsDir, 'server.crt')));
  } catch {
    return undefined;
  }
  const named = net.isIP(host) ? cert.checkIP(host) : cert.checkHost(host);
  return named === undefined ? `its TLS certificate does not name ${host} (it names ${cert.subjectAltName ?? 'nothing'})` : undefined;
}

/** Refuses to start nodes whose certificate or config no longer match network.yaml (see {@link nodeDrift}). */
export function assertNoDrift(layout: NetworkLayout, nodes: readonly NodeLayout[]): void {
  for (const node of nodes) {
    const drift = nodeDrift(node);
    if (drift === undefined) continue;
    throw new WeftError('NETWORK_FILE_EDITED', `${NETWORK_FILE} puts ${node.id} at ${node.address}, but ${drift}: hosts and ports are fixed when weft network init writes the certificates and node configs`, {
      node: node.id,
      suggestions: [`make a network from the edited file: weft network init <new-dir> --from ${shellWord(path.join(layout.dir, NETWORK_FILE))}`, `or put ${NETWORK_FILE} back as it was`],
    });
  }
}
