import * as fs from 'node:fs';
import * as path from 'node:path';
import { ChannelHeader, Header, HeaderType, SignatureHeader } from '@hyperledger/fabric-protos/lib/common/common_pb';
import { BlockchainInfo } from '@hyperledger/fabric-protos/lib/common/ledger_pb';
import { ChaincodeHeaderExtension, Proposal, SignedProposal } from '@hyperledger/fabric-protos/lib/peer/proposal_pb';
import { TxValidationCode } from '@hyperledger/fabric-protos/lib/peer/transaction_pb';
import { PackageStore } from '../../../core/chaincode/package-store';
import { ChaincodeExecutor } from '../../../core/peer/endorser/chaincode-executor';
import { Endorser } from '../../../core/peer/endorser/endorser';
import { Qscc } from '../../../core/peer/scc/qscc';
import { buildProposal, signProposal } from '../../../core/protocol/proposal';
import { parseProposalResponse } from '../../../core/protocol/proposal-response';
import type { Signer } from '../../../core/protocol/signer';
import { TestOrg } from '../../../plugins/msp-x509';
import { X509MspProvider } from '../../../plugins/msp-x509';
import { type Harness, commitBlock, endorsedTx, openHarness, rwset } from './channel-harness';
import { commitDefinitions } from './committed-definitions';
import { testDefinition } from '../../support/chaincode-definition';
import { fabricSccRefusals } from '../../support/fabric-scc-refusals';
import { CHANNEL, type Material, generateMaterial, genesisBlock, tmpDir } from './network-fixture';
import { testIdentitySigner } from '../orderer/orderer-fixture';

describe('endorser checks (Fabric ProcessProposal semantics)', () => {
  let dir: string;
  let m: Material;
  let h: Harness;
  let endorser: Endorser;
  let expired: Signer;
  let revoked: Signer;
  let stranger: Signer;
  let replay: { nonce: Uint8Array; creator: Signer };

  beforeAll(async () => {
    dir = tmpDir('weft-peer-endorser-');
    m = await generateMaterial(dir);
    const org3 = await TestOrg.create({ mspId: 'Org3MSP' });
    const past = new Date(Date.now() - 48 * 3600_000);
    expired = testIdentitySigner(await org3.issue('expired', { notBefore: past, notAfter: new Date(Date.now() - 3600_000) }));
    const revokedId = await org3.issue('revoked');
    await org3.revoke(revokedId);
    revoked = testIdentitySigner(revokedId);
    stranger = testIdentitySigner(await (await TestOrg.create({ mspId: 'Org9MSP' })).issue('user'));
    h = openHarness(
      m,
      path.join(dir, 'ledgers'),
      genesisBlock(m, 7050, '100ms', CHANNEL, [{ mspId: 'Org3MSP', mspConfig: org3.mspConfig() }], { 'qscc/GetBlockByHash': '/Channel/Application/Org2MSP/Readers' }),
    );

    // `cc` defined (no approval by Org1); `cc2` defined and approved by Org1 with a package not installed here.
    await commitDefinitions(h, [{ definition: testDefinition('cc') }, { definition: testDefinition('cc2'), approvedPackage: 'cc2_1:' + 'a'.repeat(64) }]);
    const nonce = new Uint8Array(24).fill(9);
    replay = { nonce, creator: h.users[0] };
    // Policies are read from committed state: the definitions commit one block before their use.
    const used = endorsedTx({ creator: h.users[0], endorsers: h.peers, chaincode: 'cc', results: rwset({ cc: { k: Buffer.from('v') } }), nonce }).envelope;
    expect(await commitBlock(h, [used])).toEqual([TxValidationCode.VALID]);

    const qscc = new Qscc((id) => h.channels.channel(id));
    const executor = new ChaincodeExecutor({
      mspId: 'Org1MSP',
      runtime: undefined,
      packages: new PackageStore(path.join(dir, 'packages')),
      systemChaincode: (name) => (name === 'qscc' ? qscc : undefined),
      executeTimeoutMs: 1000,
    });
    const mspProvider = new X509MspProvider();
    const localMsp = mspProvider.createMsp(mspProvider.loadMspConfig(m.orgs[0].nodes.peer0.mspDir, 'Org1MSP'));
    endorser = new Endorser(
      {
        localDeserializer: localMsp,
        channel: (id) => h.channels.channel(id),
        isSystemChaincode: (name) => name === 'qscc',
        timeWindowMs: 15 * 60_000,
        now: () => Date.now(),
      },
      executor,
      h.peers[0],
    );
  }, 60_000);

  afterAll(() => {
    h?.channels.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function propose(o: { signer: Signer; chaincode?: string; args?: string[]; channelId?: string; txId?: string; timestamp?: Date; nonce?: Uint8Array; signWith?: Signer }) {
    const built = buildProposal({
      channelId: o.channelId ?? CHANNEL,
      chaincodeName: o.chaincode ?? 'qscc',
      args: (o.args ?? ['GetChainInfo', CHANNEL]).map((a) => Buffer.from(a)),
      creator: o.signer.serialized,
      txId: o.txId,
      timestamp: o.timestamp,
      nonce: o.nonce,
    });
    return parseProposalResponse(await endorser.processProposal(signProposal(built.proposalBytes, o.signWith ?? o.signer)));
  }

  it('endorses a valid proposal with a signed response', async () => {
    const res = await propose({ signer: h.users[1] });
    expect(res.response.status).toBe(200);
    expect(res.endorsement?.endorser).toEqual(h.peers[0].serialized);
    expect(BlockchainInfo.deserializeBinary(res.response.payload).getHeight()).toBe(h.joined.channel.height());
  });

  it.each([
    ['garbage bytes', async () => parseProposalResponse(await endorser.processProposal(Buffer.from('garbage'))), /error validating proposal/],
    ['a txid not derived from nonce and creator', () => propose({ signer: h.users[0], txId: 'ab'.repeat(32) }), /tx_id/],
    ['an unknown channel', () => propose({ signer: h.users[0], channelId: 'nochannel' }), /channel 'nochannel' not found/],
    ['an identity of an MSP outside the channel', () => propose({ signer: stranger }), /creator org unknown/],
    ['an expired certificate', () => propose({ signer: expired }), /^proposal client identity expired$/],
    ['a revoked certificate', () => propose({ signer: revoked }), /access denied: channel \[mychannel\] creator org \[Org3MSP\]/],
    ['a signature by another key', () => propose({ signer: h.users[0], signWith: h.users[1] }), /signature is invalid/],
    ['a timestamp outside the 15m window', () => propose({ signer: h.users[0], timestamp: new Date(Date.now() - 20 * 60_000) }), /^request unauthorized due to incorrect timestamp \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ, peer time \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ, peer.authentication.timewindow 15m0s$/],
    ['a replayed transaction id', () => propose({ signer: replay.creator, chaincode: 'cc', args: ['f'], nonce: replay.nonce }), /duplicate transaction found/],
    ['an undefined chaincode', () => propose({ signer: h.users[0], chaincode: 'nope', args: ['f'] }), /make sure the chaincode nope has been successfully defined on channel mychannel/],
    ['a chaincode this org has not approved', () => propose({ signer: h.users[0], chaincode: 'cc', args: ['f'] }), /has not yet been approved by this org/],
    ['an approved chaincode that is not installed', () => propose({ signer: h.users[0], chaincode: 'cc2', args: ['f'] }), /exists, but chaincode is not installed/],
  ])('answers %s with status 500 and no endorsement', async (_what, run, message) => {
    const res = await run();
    expect(res.response.status).toBe(500);
    expect(res.response.message).toMatch(message);
    expect(res.endorsement).toBeUndefined();
  });

  it("guards system chaincode functions with the channel config's ACLs", async () => {
    const denied = await propose({ signer: h.users[0], args: ['GetBlockByHash', CHANNEL, 'no-such-hash'] });
    // Fabric's qscc answers a refused ACL with shim.Error: status 500.
    expect(denied.response).toMatchObject({ status: 500, message: expect.stringMatching(/^access denied for \[GetBlockByHash\]\[[^\]]+\]: \[failed evaluating policy on signed data .*\/Channel\/Application\/Org2MSP\/Readers/) });
    const short = await propose({ signer: h.users[1], args: ['GetBlockByHash', CHANNEL] });
    expect(short.response).toMatchObject({ status: 500, message: 'missing 3rd argument for GetBlockByHash' });
    const allowed = await propose({ signer: h.users[1], args: ['GetBlockByHash', CHANNEL, 'no-such-hash'] });
    expect(allowed.response).toMatchObject({ status: 500, message: `Failed to get block hash no-such-hash, error no such block hash [${Buffer.from('no-such-hash').toString('hex')}] in index` });
  });

  describe('malformed header chains', () => {
    function mutated(
      mutate: (parts: { proposal: Proposal; header: Header; chdr: ChannelHeader; shdr: SignatureHeader; ext: ChaincodeHeaderExtension }) => void,
      after: (proposal: Proposal) => void = () => undefined,
      signer = h.users[0],
    ): Uint8Array {
      const built = buildProposal({ channelId: CHANNEL, chaincodeName: 'qscc', args: [Buffer.from('GetChainInfo'), Buffer.from(CHANNEL)], creator: signer.serialized });
      const proposal = Proposal.deserializeBinary(built.proposalBytes);
      const header = Header.deserializeBinary(proposal.getHeader_asU8());
      const chdr = ChannelHeader.deserializeBinary(header.getChannelHeader_asU8());
      const shdr = SignatureHeader.deserializeBinary(header.getSignatureHeader_asU8());
      const ext = ChaincodeHeaderExtension.deserializeBinary(chdr.getExtension_asU8());
      mutate({ proposal, header, chdr, shdr, ext });
      chdr.setExtension$(ext.serializeBinary());
      header.setChannelHeader(chdr.serializeBinary());
      header.setSignatureHeader(shdr.serializeBinary());
      proposal.setHeader(header.serializeBinary());
      after(proposal);
      return signProposal(proposal.serializeBinary(), signer);
    }

    it.each([
      ['a CONFIG_UPDATE header type', (p: Parameters<Parameters<typeof mutated>[0]>[0]) => p.chdr.setType(HeaderType.CONFIG_UPDATE), /channel_header\.type/],
      ['no nonce', (p: Parameters<Parameters<typeof mutated>[0]>[0]) => p.shdr.setNonce(new Uint8Array(0)), /nonce/],
      ['no creator', (p: Parameters<Parameters<typeof mutated>[0]>[0]) => p.shdr.setCreator(new Uint8Array(0)), /creator/],
      ['a creator that is not a SerializedIdentity', (p: Parameters<Parameters<typeof mutated>[0]>[0]) => p.shdr.setCreator(Buffer.from('junk')), /tx_id|creator/],
      ['no chaincode id in the header extension', (p: Parameters<Parameters<typeof mutated>[0]>[0]) => p.ext.clearChaincodeId(), /channel_header\.extension/],
      ['a payload that is not a ChaincodeProposalPayload', (p: Parameters<Parameters<typeof mutated>[0]>[0]) => p.proposal.setPayload(Buffer.from([0xff, 0xff, 0xff])), /payload/],
    ])('rejects a proposal with %s', async (_what, mutate, message) => {
      const res = parseProposalResponse(await endorser.processProposal(mutated(mutate)));
      expect(res.response.status).toBe(500);
      expect(res.response.message).toMatch(message);
      expect(res.endorsement).toBeUndefined();
    });

    it("answers a CONFIG header type, as Fabric's endorser does (its `peer channel join` sends one)", async () => {
      const res = parseProposalResponse(await endorser.processProposal(mutated((p) => p.chdr.setType(HeaderType.CONFIG))));
      expect(res.response.status).toBe(200);
      expect(BlockchainInfo.deserializeBinary(res.response.payload).getHeight()).toBe(h.joined.channel.height());
    });

    it('rejects a proposal without a header', async () => {
      const res = parseProposalResponse(await endorser.processProposal(mutated(() => undefined, (p) => p.setHeader(new Uint8Array(0)))));
      expect(res.response).toMatchObject({ status: 500, message: expect.stringMatching(/proposal_bytes\.header/) });
    });

    it('rejects a truncated SignedProposal and an empty signature', async () => {
      const good = mutated(() => undefined);
      const truncated = parseProposalResponse(await endorser.processProposal(good.subarray(0, good.length - 10)));
      expect(truncated.response.status).toBe(500);
      const sp = SignedProposal.deserializeBinary(good);
      sp.setSignature(new Uint8Array(0));
      const unsigned = parseProposalResponse(await endorser.processProposal(sp.serializeBinary()));
      expect(unsigned.response).toMatchObject({ status: 500, message: expect.stringMatching(/signature/) });
    });
  });

  it('answers a qscc error with its status and message, unendorsed, and keeps serving', async () => {
    const res = await propose({ signer: h.users[0], args: ['GetBlockByNumber', CHANNEL, '999'] });
    expect(res.response).toMatchObject({ status: 500, message: 'Failed to get block number 999, error no such block number [999] in index' });
    expect(res.endorsement).toBeUndefined();
    // Block numbers parse as strconv.ParseUint(text, 10, 64) does: decimal digits only.
    for (const text of ['0x1', '1e0', ' 1', '-1', '']) {
      const refused = await propose({ signer: h.users[0], args: ['GetBlockByNumber', CHANNEL, text] });
      expect(refused.response).toMatchObject({ status: 500, message: `Failed to parse block number with error strconv.ParseUint: parsing ${JSON.stringify(text)}: invalid syntax` });
    }
    expect((await propose({ signer: h.users[0], args: ['GetBlockByNumber', CHANNEL, '0'] })).response.status).toBe(200);
    expect((await propose({ signer: h.users[0] })).response.status).toBe(200);
  });

  it("answers qscc lookups that find nothing word for word as a Fabric 2.4.9 peer does", async () => {
    const answers = fabricSccRefusals('qscc', CHANNEL);
    expect(answers.length).toBeGreaterThan(5);
    for (const fabric of answers) {
      // Org2's user: this channel's ACL gives GetBlockByHash to Org2 only.
      const res = await propose({ signer: h.users[1], args: [...fabric.args] });
      expect({ args: fabric.args, status: res.response.status, message: res.response.message }).toEqual({ args: fabric.args, status: fabric.status, message: fabric.message });
    }
    // Fabric's block store reads math.MaxUint64 as the newest block.
    const newest = await propose({ signer: h.users[0], args: ['GetBlockByNumber', CHANNEL, '18446744073709551615'] });
    expect(newest.response.status).toBe(200);
    expect(Buffer.from(newest.response.payload)).toEqual(Buffer.from(h.joined.channel.ledger.getBlockBytes(h.joined.channel.height() - 1) as Uint8Array));
  });
});
