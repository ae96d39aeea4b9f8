import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { WeftError } from '../../../../core/errors';
import { parseConfigBlock } from '../../../../core/protocol/config-parse';
import { capabilityNames } from '../../../../core/protocol/capabilities';
import { findFreePorts } from '../../../../cli/services/free-ports';
import { parseCapabilitiesFlag } from '../../../../cli/services/network/channel-capabilities';
import { editChannelConfig } from '../../../../cli/services/network/channel-config-edit';
import { applicationOrgFrom, createChannel } from '../../../../cli/services/network/network-channels';
import { DEFAULT_INIT_OPTIONS, generatePeerOrg, initNetwork, initNetworkFromFile } from '../../../../cli/services/network/network-init';
import { NetworkLayout } from '../../../../cli/services/network/network-layout';
import { renderNetworkFile } from '../../../../cli/services/network/network-channels';
import { loadNetworkSpec } from '../../../../cli/services/network/network-spec';
import { writeNetworkFile } from './network-file-fixture';
import { configErrorOf } from '../../../support/config-error-of';

/** The capabilities a genesis block file requires, read back by the config parser every node uses. */
function blockCapabilities(file: string): unknown {
  return parseConfigBlock(fs.readFileSync(file)).capabilities;
}

/** The parts of a network file these tests edit. */
interface EditableNetworkFile {
  channel: Record<string, unknown>;
  otherChannels?: Record<string, unknown>[];
}

/** A network file as the fixture writes it, with `edit` applied to its parsed contents. */
function editedNetworkFile(file: string, basePort: number, orgs: readonly Record<string, unknown>[], edit: (spec: EditableNetworkFile) => void): void {
  writeNetworkFile(file, basePort, orgs);
  const spec = parseYaml(fs.readFileSync(file, 'utf8')) as EditableNetworkFile;
  edit(spec);
  fs.writeFileSync(file, stringifyYaml(spec));
}

/** `weft network init --capabilities` and a network file's `capabilities:`: channels Fabric 2.x nodes can join. */
describe('network init: channel capabilities', () => {
  let tmp: string;
  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-init-caps-'));
  });
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('--capabilities sets the levels given in the genesis block (the rest at the defaults) and in network.yaml, which re-renders to itself', async () => {
    const dir = path.join(tmp, 'net');
    await initNetwork(dir, { ...DEFAULT_INIT_OPTIONS, basePort: 46400, capabilities: 'channel=V2_0,application=V2_0' });
    const layout = new NetworkLayout(dir, loadNetworkSpec(dir));
    expect(blockCapabilities(layout.genesisBlockFile)).toEqual({ channel: ['V2_0'], orderer: ['V2_0'], application: ['V2_0'] });
    // Below V3_0 the orderers are named by each orderer org's Endpoints, as Fabric 2.x reads them; no global OrdererAddresses.
    const config = parseConfigBlock(fs.readFileSync(layout.genesisBlockFile));
    expect(config.ordererOrgs[0]!.endpoints).toEqual(['127.0.0.1:46400']);
    expect(config.ordererAddresses).toEqual([]);

    expect(layout.spec.channel.capabilities).toEqual({ channel: 'V2_0', application: 'V2_0' });
    const text = fs.readFileSync(path.join(dir, 'network.yaml'), 'utf8');
    expect(text).toContain('  capabilities: { channel: V2_0, application: V2_0 }\n');
    expect(renderNetworkFile(layout.spec).text).toBe(text);
  });

  it('a network file sets each channel its own capabilities; network.yaml keeps them', async () => {
    const file = path.join(tmp, 'network.yaml');
    editedNetworkFile(file, 46420, [{}, {}], (spec) => {
      spec.channel.capabilities = { channel: 'V2_0', orderer: 'V1_4_2', application: 'V2_5' };
      spec.otherChannels = [{ name: 'later', batchTimeout: '1s', maxMessageCount: 10, orgs: ['Org1'], capabilities: { application: 'V2_0' } }];
    });
    const dir = path.join(tmp, 'net');
    await initNetworkFromFile(dir, file);
    const layout = new NetworkLayout(dir, loadNetworkSpec(dir));
    expect(blockCapabilities(layout.genesisBlockFileOf('mixed'))).toEqual({ channel: ['V2_0'], orderer: ['V1_4_2'], application: ['V2_5'] });
    expect(blockCapabilities(layout.genesisBlockFileOf('later'))).toEqual({ channel: ['V3_0'], orderer: ['V2_0'], application: ['V2_0'] });
    const written = parseYaml(fs.readFileSync(path.join(dir, 'network.yaml'), 'utf8')) as { channel: { capabilities: unknown }; otherChannels: { capabilities: unknown }[] };
    expect(written.channel.capabilities).toEqual({ channel: 'V2_0', orderer: 'V1_4_2', application: 'V2_5' });
    expect(written.otherChannels[0]!.capabilities).toEqual({ application: 'V2_0' });
  });

  it('refuses a capability this build lacks, one below what Weft runs, or a malformed value, naming --capabilities; nothing is written', async () => {
    const refusal = async (capabilities: string) => {
      const err = (await initNetwork(path.join(tmp, 'net'), { ...DEFAULT_INIT_OPTIONS, basePort: 46440, capabilities }).then(() => undefined, (e: unknown) => e)) as WeftError;
      expect(err).toBeInstanceOf(WeftError);
      expect(fs.existsSync(path.join(tmp, 'net'))).toBe(false);
      return { code: err.code, field: err.details.field, message: err.message };
    };
    expect(await refusal('channel=V9_9')).toEqual({ code: 'UNSUPPORTED_CAPABILITY', field: '--capabilities', message: expect.stringMatching(/^--capabilities channel=V9_9: this Weft build does not support channel capability V9_9/) });
    expect(await refusal('orderer=V2_5')).toMatchObject({ code: 'UNSUPPORTED_CAPABILITY', field: '--capabilities' });
    expect(await refusal('channel=V1_4_2')).toEqual({ code: 'CAPABILITY_TOO_LOW', field: '--capabilities', message: expect.stringContaining('NodeOU') });
    expect(await refusal('application=V1_4_2')).toEqual({ code: 'CAPABILITY_TOO_LOW', field: '--capabilities', message: expect.stringContaining('_lifecycle') });
    expect(await refusal('ledger=V2_0')).toMatchObject({ code: 'BAD_FLAG_VALUE', field: '--capabilities' });
    expect(await refusal('channel=V2_0,channel=V3_0')).toMatchObject({ code: 'BAD_FLAG_VALUE', field: '--capabilities' });
    expect(await refusal(' , ')).toMatchObject({ code: 'BAD_FLAG_VALUE', field: '--capabilities' });
  });

  it('refuses Ed25519 keys below channel V3_0, naming the flags or the file fields, before any key is made', async () => {
    const dir = path.join(tmp, 'net');
    const flags = await configErrorOf(initNetwork(dir, { ...DEFAULT_INIT_OPTIONS, basePort: 46460, keyAlgorithm: 'ed25519', capabilities: 'channel=V2_0' }));
    expect(flags.code).toBe('CAPABILITY_TOO_LOW');
    expect(flags.details).toMatchObject({ field: '--capabilities', conflictsWith: '--key-algorithm ed25519', channel: 'mychannel' });
    expect(flags.message).toMatch(/^--capabilities channel=V2_0: channel mychannel at channel capability V2_0 cannot have OrdererMSP, Org1MSP, Org2MSP, whose keys are Ed25519/);
    expect(fs.existsSync(dir)).toBe(false);

    // Only the channels an Ed25519 org sits on: Org2's keys are Ed25519 and `later` is Org1's alone.
    const file = path.join(tmp, 'network.yaml');
    editedNetworkFile(file, 46470, [{}, { keyAlgorithm: 'ed25519' }], (spec) => {
      spec.otherChannels = [{ name: 'later', batchTimeout: '1s', maxMessageCount: 10, orgs: ['Org1'], capabilities: { channel: 'V2_0' } }];
    });
    await initNetworkFromFile(path.join(tmp, 'ok'), file);
    editedNetworkFile(file, 46470, [{}, { keyAlgorithm: 'ed25519' }], (spec) => {
      spec.channel.capabilities = { channel: 'V2_0' };
    });
    const fromFile = await configErrorOf(initNetworkFromFile(dir, file));
    expect(fromFile.code).toBe('CAPABILITY_TOO_LOW');
    expect(fromFile.details).toMatchObject({ field: 'channel.capabilities.channel', conflictsWith: 'orgs.1.keyAlgorithm ed25519' });
    expect(fromFile.message).toContain(`channel.capabilities.channel V2_0 in ${file}: channel mixed at channel capability V2_0 cannot have Org2MSP,`);
    expect(fs.existsSync(dir)).toBe(false);
  });

  it('a network file with a capability below what Weft runs is refused naming its path', async () => {
    const file = path.join(tmp, 'network.yaml');
    editedNetworkFile(file, 46480, [{}], (spec) => {
      spec.channel.capabilities = { channel: 'V1_3', ledger: 'V2_0' };
    });
    const err = await configErrorOf(initNetworkFromFile(path.join(tmp, 'net'), file));
    expect(err.code).toBe('NETWORK_SPEC_INVALID');
    expect(err.message).toContain('channel.capabilities.channel: channel capability V1_3 is below V1_4_3');
    expect(err.message).toMatch(/channel\.capabilities: .*ledger/);
  });

  it('an org with an Ed25519 CA joining a channel below V3_0 is refused (add-org, --add-org), unless the same update raises it', async () => {
    const dir = path.join(tmp, 'net');
    await initNetwork(dir, { ...DEFAULT_INIT_OPTIONS, basePort: 46500, capabilities: 'channel=V2_0,application=V2_0' });
    const layout = new NetworkLayout(dir, loadNetworkSpec(dir));
    const current = parseConfigBlock(fs.readFileSync(layout.genesisBlockFile));
    const org3 = { name: 'Org3', mspId: 'Org3MSP', domain: 'org3.example.com', peers: [{ name: 'peer0', host: '127.0.0.1', port: 46510, operationsPort: 46511 }], users: ['Admin'] };
    const orgDir = path.join(tmp, 'org3');
    await generatePeerOrg(org3, orgDir, undefined, { keyAlgorithm: 'ed25519' });
    const joining = applicationOrgFrom(path.join(orgDir, 'organizations', 'peerOrganizations', 'org3.example.com', 'msp'), org3);

    const err = (() => {
      try {
        editChannelConfig(layout, current, { joiningOrgs: [joining] });
        return undefined;
      } catch (e) {
        return e as WeftError;
      }
    })();
    expect(err).toBeInstanceOf(WeftError);
    expect(err!.code).toBe('CAPABILITY_TOO_LOW');
    expect(err!.details).toMatchObject({ field: '--key-algorithm', channel: 'mychannel', suggestions: [expect.stringContaining('--capability channel=V3_0')] });
    expect(err!.message).toMatch(/^new org Org3MSP: channel mychannel at channel capability V2_0 cannot have Org3MSP, whose keys are Ed25519/);

    const { next } = editChannelConfig(layout, current, { joiningOrgs: [joining], capabilities: [{ level: 'channel', name: 'V3_0' }] });
    expect(capabilityNames(next.getChannelGroup(), '/Channel')).toEqual(['V3_0']);
  });

  it("channel create writes the default channel's capabilities, but for the levels --capabilities names, into the genesis block and network.yaml", async () => {
    const dir = path.join(tmp, 'net');
    // Free ports: joining the orderer is attempted, and must find nothing listening.
    await initNetwork(dir, { ...DEFAULT_INIT_OPTIONS, basePort: await findFreePorts(7), capabilities: 'channel=V2_0,application=V2_0' });
    // The network is not up: the block and network.yaml are written, then joining the orderer fails.
    await expect(createChannel(dir, { name: 'later', batchTimeout: '2s', maxMessageCount: 10, capabilities: parseCapabilitiesFlag('application=V2_5') }, () => {})).rejects.toThrow();
    const layout = new NetworkLayout(dir, loadNetworkSpec(dir));
    expect(blockCapabilities(layout.genesisBlockFileOf('later'))).toEqual({ channel: ['V2_0'], orderer: ['V2_0'], application: ['V2_5'] });
    expect(layout.spec.otherChannels[0]!.capabilities).toEqual({ channel: 'V2_0', application: 'V2_5' });
  });

  it('channel create refuses --capabilities below V3_0 for Ed25519 orgs before writing anything, and parses the flag as init does', async () => {
    const dir = path.join(tmp, 'ed');
    await initNetwork(dir, { ...DEFAULT_INIT_OPTIONS, basePort: 46490, keyAlgorithm: 'ed25519' });
    const before = fs.readFileSync(path.join(dir, 'network.yaml'), 'utf8');
    const spec = { name: 'legacy', batchTimeout: '2s', maxMessageCount: 10, capabilities: parseCapabilitiesFlag('channel=V2_0,application=V2_0') };
    const err = await configErrorOf(createChannel(dir, spec, () => {}));
    expect(err.code).toBe('CAPABILITY_TOO_LOW');
    expect(err.details).toMatchObject({ field: '--capabilities', conflictsWith: 'its CA certificate', channel: 'legacy' });
    expect(err.message).toMatch(/^--capabilities channel=V2_0: channel legacy at channel capability V2_0 cannot have OrdererMSP, Org1MSP, Org2MSP, whose keys are Ed25519/);
    expect(fs.readFileSync(path.join(dir, 'network.yaml'), 'utf8')).toBe(before);
    expect(fs.existsSync(path.join(dir, 'channel-artifacts', 'legacy.block'))).toBe(false);
    expect(() => parseCapabilitiesFlag('application=V1_2')).toThrow(expect.objectContaining({ code: 'CAPABILITY_TOO_LOW', details: expect.objectContaining({ field: '--capabilities' }) }));
  });
});
