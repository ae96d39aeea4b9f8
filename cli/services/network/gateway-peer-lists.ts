import * as fs from 'node:fs';
import { parseDocument } from 'yaml';
import { WeftError } from '../../../core/errors';
import type { NetworkLayout, NodeLayout } from './network-layout';
import { nodeKeysHere } from './org-keys';
import { replaceFile } from '../../../core/node/durable-files';

/** One entry of a peer config's `peer.gateway.peers` as YAML reads it back. */
export type GatewayPeerEntry = { readonly address?: unknown } & Record<string, unknown>;

/**
 * The configs of the layout's peers whose keys are here (all but `except`), each with its
 * `peer.gateway.peers` list edited by `edit`; only that list changes (comments, and anything set by
 * hand, stay). `edit` gets the list and returns the new one, or undefined to leave that config
 * alone. A config that is not valid YAML is refused before anything is written (`NODE_CONFIG_INVALID`,
 * `why` saying what it could not be told). Nothing is written here: see {@link replaceNodeConfig}.
 */
export function editedGatewayPeerLists(
  layout: NetworkLayout,
  except: string,
  edit: (node: NodeLayout, list: readonly GatewayPeerEntry[]) => unknown[] | undefined,
  why: { readonly change: string; readonly rerun: string },
): Map<NodeLayout, string> {
  const out = new Map<NodeLayout, string>();
  for (const node of layout.peers()) {
    if (node.id === except || !nodeKeysHere(layout, node) || !fs.existsSync(node.configFile)) continue;
    const doc = parseDocument(fs.readFileSync(node.configFile, 'utf8'));
    if (doc.errors.length > 0) {
      throw new WeftError('NODE_CONFIG_INVALID', `${node.configFile} is not valid YAML (${doc.errors[0]!.message}): ${why.change}`, {
        file: node.configFile,
        suggestions: [`fix ${node.configFile}, then ${why.rerun}`],
      });
    }
    const peers = (doc.getIn(['peer', 'gateway', 'peers']) as { toJSON(): unknown } | undefined)?.toJSON();
    const next = edit(node, Array.isArray(peers) ? (peers as GatewayPeerEntry[]) : []);
    if (next === undefined) continue;
    doc.setIn(['peer', 'gateway', 'peers'], doc.createNode(next));
    out.set(node, doc.toString());
  }
  return out;
}

/** A whole node config replaced by one rename: a running node never reads it half written. */
export function replaceNodeConfig(file: string, text: string): void {
  replaceFile(file, text);
}
