import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Block, ChannelHeader, Envelope, Payload } from '@hyperledger/fabric-protos/lib/common/common_pb';
import { joinChannel } from '../../../../cli/services/network/channel-join';
import { openNetwork } from '../../../../cli/services/network/network-access';
import { channelGenesisBlock } from '../../../../cli/services/network/network-channels';
import { exportNetwork } from '../../../../cli/services/network/network-export';
import { DEFAULT_INIT_OPTIONS, initNetwork } from '../../../../cli/services/network/network-init';
import { NetworkLayout } from '../../../../cli/services/network/network-layout';
import { blockDataHash } from '../../../../core/protocol/block';

/** Every refusal happens before the network is asked anything: these need no running node. */
describe('channel join refuses a block that is not for this directory, writing nothing', () => {
  let tmp: string;
  let net: string;
  let org3: string;
  beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-join-'));
    net = path.join(tmp, 'net');
    await initNetwork(net, { ...DEFAULT_INIT_OPTIONS, orgs: 3, basePort: 22000 });
    org3 = path.join(tmp, 'org3');
    exportNetwork(net, org3, ['Org3'], () => undefined);
  });
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  const refusal = async (dir: string, block: string) => {
    const before = fs.readFileSync(path.join(dir, 'network.yaml'), 'utf8');
    const err = await joinChannel(dir, block, () => undefined).catch((e: unknown) => e);
    expect(fs.readFileSync(path.join(dir, 'network.yaml'), 'utf8')).toBe(before);
    return err;
  };

  it('a missing file, a file that is no block, a block of another network', async () => {
    expect(await refusal(org3, path.join(tmp, 'nope.block'))).toMatchObject({ code: 'CHANNEL_BLOCK_MISSING' });
    const junk = path.join(tmp, 'junk.block');
    fs.writeFileSync(junk, 'not a block');
    expect(await refusal(org3, junk)).toMatchObject({ code: 'CHANNEL_BLOCK_INVALID', message: expect.stringContaining('not a channel configuration block') });

    // Same org names and MSP IDs, other CAs: a look-alike network's block.
    const other = path.join(tmp, 'other');
    await initNetwork(other, { ...DEFAULT_INIT_OPTIONS, orgs: 3, basePort: 22000 });
    expect(await refusal(org3, openNetwork(other).genesisBlockFile)).toMatchObject({
      code: 'CHANNEL_BLOCK_INVALID',
      message: expect.stringContaining("is not ordered by this network's OrdererMSP"),
    });
  });

  it("a channel of which none of the directory's orgs is a member", async () => {
    const layout = openNetwork(net);
    const pair = new NetworkLayout(net, { ...layout.spec, orgs: layout.spec.orgs.slice(0, 2) });
    const file = path.join(tmp, 'pair.block');
    fs.writeFileSync(file, channelGenesisBlock(pair, { name: 'pair', batchTimeout: '2s', maxMessageCount: 10 }));
    expect(await refusal(org3, file)).toMatchObject({ code: 'NO_MEMBER_KEYS_HERE', message: expect.stringContaining('Org1MSP, Org2MSP') });
    expect(fs.existsSync(path.join(org3, 'channel-artifacts', 'pair.block'))).toBe(false);
  });

  it('a channel ID that is no channel name (it would go into network.yaml and a file name)', async () => {
    // A genesis block is unsigned: anyone with the orgs' public certificates can make one.
    const honest = channelGenesisBlock(openNetwork(net), { name: 'audit', batchTimeout: '2s', maxMessageCount: 10 });
    const crafted = path.join(tmp, 'crafted.block');
    fs.writeFileSync(crafted, withChannelId(honest, 'audit\n  - name: phantom # /../../../outside'));
    expect(await refusal(net, crafted)).toMatchObject({ code: 'CHANNEL_BLOCK_INVALID', message: expect.stringContaining('is not a Fabric channel name') });
    expect(fs.existsSync(path.join(tmp, 'outside.block'))).toBe(false);
  });
});

/** The block with its channel header's channel_id replaced (data hash recomputed; a genesis block carries no signature to break). */
function withChannelId(bytes: Uint8Array, channelId: string): Uint8Array {
  const block = Block.deserializeBinary(bytes);
  const env = Envelope.deserializeBinary(block.getData()!.getDataList_asU8()[0]!);
  const payload = Payload.deserializeBinary(env.getPayload_asU8());
  const header = payload.getHeader()!;
  const ch = ChannelHeader.deserializeBinary(header.getChannelHeader_asU8());
  ch.setChannelId(channelId);
  header.setChannelHeader(ch.serializeBinary());
  env.setPayload(payload.serializeBinary());
  block.getData()!.setDataList([env.serializeBinary()]);
  block.getHeader()!.setDataHash(blockDataHash(block.getData()!));
  return block.serializeBinary();
}
