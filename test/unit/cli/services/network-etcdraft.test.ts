import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { reissueBackdated } from '../../../../cli/services/network/expired-member-backdate';
import { channelGenesisBlock } from '../../../../cli/services/network/network-channels';
import { DEFAULT_INIT_OPTIONS, initNetwork } from '../../../../cli/services/network/network-init';
import { resolveMspOrg } from '../../../../cli/services/network/org-msp-channels';
import { openNetwork } from '../../../../cli/services/network/network-access';
import { parseNetworkSpec } from '../../../../cli/services/network/network-spec';
import { parseConfigBlock } from '../../../../core/protocol/config-parse';
import { decodeEtcdraftMetadata, sameCertificateKey } from '../../../../core/protocol/etcdraft-config';

/** A network laid out by `weft network init --consensus etcdraft` (certificates only), next to the block configtxgen 2.5 made for it. */
const FIXTURE = path.join(__dirname, '..', '..', '..', 'fixtures', 'fabric-2.5', 'etcdraft');

const ordererGroupOf = (block: Uint8Array) => Buffer.from(parseConfigBlock(block).config.getChannelGroup()!.getGroupsMap().get('Orderer')!.serializeBinary());

describe('networks whose channels are etcdraft', () => {
  let tmp: string;
  beforeAll(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-etcdraft-net-'));
  });
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it("writes each channel's Orderer group as configtxgen 2.5 does for a one-consenter etcdraft profile: same bytes, ConsensusType included", () => {
    const layout = openNetwork(FIXTURE);
    expect(layout.spec.consensus).toBe('etcdraft');
    const weft = parseConfigBlock(channelGenesisBlock(layout, layout.spec.channel));
    const configtxgen = new Uint8Array(fs.readFileSync(path.join(FIXTURE, 'raftchannel.block')));
    expect(weft.consensusType.type).toBe('etcdraft');
    expect(Buffer.from(weft.consensusType.metadata)).toEqual(Buffer.from(parseConfigBlock(configtxgen).consensusType.metadata));
    expect(ordererGroupOf(channelGenesisBlock(layout, layout.spec.channel))).toEqual(ordererGroupOf(configtxgen));
  });

  it('refuses a second orderer: the one orderer orders alone', () => {
    const raw = parseYaml(fs.readFileSync(path.join(FIXTURE, 'network.yaml'), 'utf8')) as { ordererOrg: { orderers: Record<string, unknown>[] } };
    const first = raw.ordererOrg.orderers[0]!;
    raw.ordererOrg.orderers.push({ ...first, name: 'orderer2', port: 7590, adminPort: 7591, operationsPort: 7592 });
    expect(() => parseNetworkSpec(raw, 'network.yaml')).toThrow(/ordererOrg\.orderers: Weft's orderer orders alone, so etcdraft here is a one-consenter Raft with exactly one orderer, got 2/);
  });

  it("re-issues the orderer's TLS certificate for its key when the whole network's certificates are recovered: the channels, which cannot be updated then, still name it", async () => {
    const net = path.join(tmp, 'expired');
    await initNetwork(net, { ...DEFAULT_INIT_OPTIONS, consensus: 'etcdraft', basePort: 45300 });
    const network = openNetwork(net);
    const orderer = network.orderers()[0]!;
    const tls = (file: string) => fs.readFileSync(path.join(orderer.tlsDir, file));
    const [oldCert, oldKey] = [tls('server.crt'), tls('server.key')];
    const member = { id: orderer.id, ended: ['enrollment' as const], renew: { node: orderer.id } };
    await reissueBackdated(network, resolveMspOrg(network, 'OrdererOrg'), member, undefined, () => undefined);

    expect(tls('server.crt')).not.toEqual(oldCert);
    expect(tls('server.key')).toEqual(oldKey);
    const consenter = decodeEtcdraftMetadata(parseConfigBlock(new Uint8Array(fs.readFileSync(network.genesisBlockFileOf(network.spec.channel.name)))).consensusType.metadata).getConsentersList()[0]!;
    expect(sameCertificateKey(consenter.getServerTlsCert_asU8(), tls('server.crt'))).toBe(true);
  });
});
