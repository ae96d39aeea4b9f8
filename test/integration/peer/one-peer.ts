import * as fs from 'node:fs';
import type { FabricMSPConfig } from '@hyperledger/fabric-protos/lib/msp/msp_config_pb';
import { loadNodeConfig } from '../../../core/node/config';
import { parsePeerConfig } from '../../../core/peer/peer-config';
import { PeerNode } from '../../../core/peer/peer-node';
import { DEFAULT_ACLS } from '../../../core/protocol/channel-definition';
import { buildConfigBlock } from '../../../core/protocol/config-block';
import { loadMspConfig } from '../../../plugins/msp-x509';
import { type Material, freePort, generateMaterial, tmpDir, writePeerConfig } from './network-fixture';

/** An application org of a channel built by {@link channelGenesis}. */
export interface ChannelOrg {
  readonly mspId: string;
  readonly mspConfig: FabricMSPConfig;
}

/** Org1's peer alone (TLS on, no orderer running): for what one peer answers by itself. */
export interface OnePeer {
  readonly m: Material;
  readonly peer: PeerNode;
  readonly port: number;
  /** Named in channels' configs; nothing listens there. */
  readonly ordererPort: number;
  /** The generated orgs' MSPs as channel members. */
  readonly orgs: ChannelOrg[];
  close(): Promise<void>;
}

export async function startOnePeer(prefix: string): Promise<OnePeer> {
  const dir = tmpDir(prefix);
  const m = await generateMaterial(dir);
  const [p0, p1, ops, ordererPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const files = writePeerConfig(m, 0, [p0, p1], ops, { peerSection: { gateway: { peers: [] } } });
  const peer = new PeerNode(parsePeerConfig(loadNodeConfig(files.configFile)));
  await peer.start();
  return {
    m,
    peer,
    port: p0,
    ordererPort,
    orgs: m.orgs.map((o) => ({ mspId: o.mspId, mspConfig: loadMspConfig(o.mspDir, o.mspId) })),
    close: async () => {
      await peer.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A channel's genesis block (solo) with the given application orgs (and capabilities, Fabric 3's by default). */
export function channelGenesis(
  net: Pick<OnePeer, 'm' | 'ordererPort'>,
  channelId: string,
  orgs: readonly ChannelOrg[],
  capabilities?: { channel: string; orderer: string; application: string },
): Uint8Array {
  return buildConfigBlock({
    ...(capabilities !== undefined && { capabilities }),
    channelId,
    acls: DEFAULT_ACLS,
    applicationOrgs: orgs.map((o) => ({ ...o, anchorPeers: [] })),
    ordererOrgs: [{ mspId: 'OrdererMSP', mspConfig: loadMspConfig(net.m.ordererOrg.mspDir, 'OrdererMSP'), endpoints: [`127.0.0.1:${net.ordererPort}`] }],
    batchSize: { maxMessageCount: 500, absoluteMaxBytes: 10 * 1024 * 1024, preferredMaxBytes: 2 * 1024 * 1024 },
    batchTimeout: '100ms',
    consensusType: { type: 'solo' },
  }).serializeBinary();
}
