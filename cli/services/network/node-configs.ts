import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseNodeConfig } from '../../../core/node/config';
import { toOrdererNodeConfig } from '../../../core/orderer/orderer-config';
import { parsePeerConfig } from '../../../core/peer/peer-config';
import type { NetworkLayout, NodeLayout } from './network-layout';
import type { PeerOrgSpec } from './network-spec';
import { listenAddressFor } from './node-hosts';
import { ConfigError } from '../../../core/errors';
import { tokenMspOptions, type TokenName } from '../client/cli-token';
import { NETWORK_MSP_PLUGIN } from '../msp-tooling';

/**
 * The YAML config of each node, derived from network.yaml. Paths are relative to the config file,
 * so a network directory can be moved as a whole. Every config is validated with the node's own
 * schema before it is written: a schema change in the peer or orderer shows up here, at init.
 * `only` limits it to those node IDs (a new org's peers). With `signsIn`, every config's MSP signs in
 * that PKCS#11 token (`plugins.msp.options.bccsp`, no PIN); without it the MSP plugin's defaults apply.
 */
export function nodeConfigs(layout: NetworkLayout, only?: ReadonlySet<string>, signsIn?: TokenName): Map<NodeLayout, Record<string, unknown>> {
  const out = new Map<NodeLayout, Record<string, unknown>>();
  const picked = (node: NodeLayout): boolean => only === undefined || only.has(node.id);
  const withMsp = (config: Record<string, unknown>): Record<string, unknown> =>
    signsIn === undefined ? config : { ...config, plugins: { ...(config.plugins as Record<string, unknown>), msp: { plugin: NETWORK_MSP_PLUGIN, options: tokenMspOptions(signsIn.library, signsIn.label) } } };
  for (const node of layout.orderers().filter(picked)) out.set(node, checked(node, withMsp(ordererConfig(layout, node))));
  for (const node of layout.peers().filter(picked)) out.set(node, checked(node, withMsp(peerConfig(layout, node))));
  return out;
}

function rel(node: NodeLayout, file: string): string {
  return path.relative(node.nodeDir, file);
}

function common(layout: NetworkLayout, node: NodeLayout) {
  return {
    id: node.id,
    kind: node.kind,
    dataDir: 'data',
    logLevel: layout.spec.logLevel,
    msp: { id: node.mspId, dir: rel(node, node.mspDir) },
  };
}

function ordererConfig(layout: NetworkLayout, node: NodeLayout): Record<string, unknown> {
  const tlsCert = rel(node, path.join(node.tlsDir, 'server.crt'));
  const tlsKey = rel(node, path.join(node.tlsDir, 'server.key'));
  return {
    ...common(layout, node),
    plugins: {
      ledger: { plugin: 'ledger-sqlite', options: {} },
      ordering: { plugin: 'orderer-solo', options: {} },
    },
    orderer: {
      listenAddress: listenAddressFor(node.address),
      tls: {
        cert: tlsCert,
        key: tlsKey,
        clientAuthRequired: layout.spec.mutualTls,
        clientRootCAs: layout.spec.mutualTls ? networkTlsCas(layout, node, true) : [],
      },
      admin: {
        listenAddress: listenAddressFor(node.adminAddress!),
        tls: { cert: tlsCert, key: tlsKey, clientRootCAs: orgTlsTrust(layout, undefined).map((f) => rel(node, f)) },
      },
      ...(node.operationsAddress !== undefined && {
        operations: {
          listenAddress: listenAddressFor(node.operationsAddress),
          ...(node.operationsTls && {
            tls: { cert: tlsCert, key: tlsKey, clientRootCAs: orgTlsTrust(layout, undefined).map((f) => rel(node, f)), clientAuthRequired: node.operationsClientAuthRequired },
          }),
        },
      }),
    },
  };
}

/** How long a Gateway of a peer in debug mode waits for an endorsement: time to step through the chaincode. */
const DEBUG_ENDORSEMENT_TIMEOUT_MS = 3_600_000;

function peerConfig(layout: NetworkLayout, node: NodeLayout): Record<string, unknown> {
  const tls = layout.spec.tls;
  const operationsAddress = node.operationsAddress;
  // network.yaml gives every peer whose keys are here an operations port; only a remote org's peers lack one.
  if (operationsAddress === undefined) throw new ConfigError('NODE_CONFIG_REMOTE_PEER', `${node.id} has no operationsPort in network.yaml: it is a peer of an org whose keys are elsewhere, whose config is written there`, { field: 'operationsPort', node: node.id });
  const others = layout.peers().filter((p) => p.id !== node.id);
  return {
    ...common(layout, node),
    plugins: {
      ledger: { plugin: 'ledger-sqlite', options: {} },
      // Debug mode: the Gateway waits an hour for an endorsement, so one paused at a breakpoint comes back.
      runtime: { plugin: 'runtime-isolated-vm', options: node.debugPort === undefined ? {} : { inspector: { port: node.debugPort } } },
    },
    peer: {
      listenAddress: listenAddressFor(node.address),
      externalAddress: node.address,
      tls: tls
        ? {
            enabled: true,
            certFile: rel(node, path.join(node.tlsDir, 'server.crt')),
            keyFile: rel(node, path.join(node.tlsDir, 'server.key')),
            // Under mutual TLS, clients of every peer org (users, and peers endorsing for each other).
            rootCertFiles: layout.spec.mutualTls ? networkTlsCas(layout, node, false) : [rel(node, node.tlsRootCertPath)],
            clientAuthRequired: layout.spec.mutualTls,
          }
        : { enabled: false },
      ordererTlsRootCertFiles: orgTlsTrust(layout, undefined).map((f) => rel(node, f)),
      gateway: {
        ...(node.debugPort !== undefined && { endorsementTimeoutMs: DEBUG_ENDORSEMENT_TIMEOUT_MS }),
        peers: others.map((p) => knownPeerEntry(layout, node, p)),
      },
      operations: {
        listenAddress: listenAddressFor(operationsAddress),
        ...(node.operationsTls && {
          tls: {
            enabled: true,
            certFile: rel(node, path.join(node.tlsDir, 'server.crt')),
            keyFile: rel(node, path.join(node.tlsDir, 'server.key')),
            rootCertFiles: [rel(node, node.tlsRootCertPath)],
            clientAuthRequired: node.operationsClientAuthRequired,
          },
        }),
      },
    },
  };
}

/** How `node`'s config lists peer `p` in `peer.gateway.peers`: where to dial it, its org, and (under TLS) the root and name to check its certificate against. */
export function knownPeerEntry(layout: NetworkLayout, node: NodeLayout, p: NodeLayout): Record<string, unknown> {
  return { address: p.address, mspId: p.mspId, ...(layout.spec.tls ? { tlsRootCertFile: rel(node, p.tlsRootCertPath), serverNameOverride: p.id } : {}) };
}

/**
 * The TLS CAs of the network's peer orgs (and of the orderer org when `withOrdererOrg`): the roots a
 * node's client certificates must chain to under mutual TLS. An orderer serves peers and the
 * orderer org's own clients; a peer serves peer orgs' users and peers.
 */
function networkTlsCas(layout: NetworkLayout, node: NodeLayout, withOrdererOrg: boolean): string[] {
  const orgs = [...(withOrdererOrg ? [undefined] : []), ...layout.networkSpec.orgs];
  return orgs.flatMap((org) => orgTlsTrust(layout, org).map((f) => rel(node, f)));
}

/**
 * The files a node trusts an org's TLS certificates by: its TLS CA's certificate, or for an org
 * issuing from a TLS intermediate (`--intermediate-ca`) its MSP folder's TLS roots and
 * intermediates, since a peer presents its own certificate only and the chain is built from these.
 */
export function orgTlsTrust(layout: NetworkLayout, org: PeerOrgSpec | undefined): string[] {
  const mspDir = layout.orgMspDir(org);
  const filesIn = (sub: string): string[] => {
    const dir = path.join(mspDir, sub);
    return fs.existsSync(dir) ? fs.readdirSync(dir).sort().map((f) => path.join(dir, f)) : [];
  };
  const intermediates = filesIn('tlsintermediatecerts');
  return intermediates.length === 0 ? [layout.orgTlsCaCert(org)] : [...filesIn('tlscacerts'), ...intermediates];
}

function checked(node: NodeLayout, config: Record<string, unknown>): Record<string, unknown> {
  const parsed = parseNodeConfig(config, node.nodeDir, `generated config of ${node.id}`);
  if (node.kind === 'orderer') toOrdererNodeConfig(parsed, `generated config of ${node.id}`);
  else parsePeerConfig(parsed);
  return config;
}
