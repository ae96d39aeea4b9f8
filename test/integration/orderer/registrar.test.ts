import * as fs from 'node:fs';
import * as path from 'node:path';
import { Status } from '@hyperledger/fabric-protos/lib/common/common_pb';
import { ConfigGroup } from '@hyperledger/fabric-protos/lib/common/configtx_pb';
import { OrdererError } from '../../../core/errors';
import { NodeLogging } from '../../../core/node/logger';
import { BroadcastHandler, defaultBroadcastOptions } from '../../../core/orderer/broadcast-handler';
import { IngressErrorCode } from '../../../core/orderer/broadcast-status';
import { Registrar } from '../../../core/orderer/registrar';
import { SignaturePrecheck } from '../../../core/orderer/signature-precheck';
import { blockHeaderHash, parseBlock } from '../../../core/protocol/block';
import { smartBftOptions } from '../../../core/protocol/bft-config';
import type { ChannelDefinitionInput } from '../../../core/protocol/channel-definition';
import { parseConfigBlock } from '../../../core/protocol/config-parse';
import { SqliteLedgerStoreProvider } from '../../../plugins/ledger-sqlite/sqlite-ledger-store-provider';
import { loadSigningIdentity, TestOrg, X509MspProvider } from '../../../plugins/msp-x509';
import { SoloConsenter } from '../../../plugins/orderer-solo';
import { FabricPolicyProvider } from '../../../plugins/policy-fabric';
import { clientSigner, configBlockOf, generateMaterial, genesisBlock, testIdentitySigner, tmpDir, txEnvelope, type Material } from './orderer-fixture';

const logging = new NodeLogging('silent');

/** The code of the `OrdererError` `fn` throws (fails the test when it throws anything else). */
function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(OrdererError);
    return (err as OrdererError).code;
  }
  return undefined;
}

/**
 * The channel registrar with the real plugins (SQLite ledger, solo, X.509 MSP, Fabric policies):
 * which join blocks it takes, how it removes a channel, and what a removal cut short leaves.
 */
describe('orderer registrar', () => {
  let dir: string;
  let m: Material;
  let root: string;
  let ledgers: SqliteLedgerStoreProvider;
  let registrar: Registrar;

  beforeAll(async () => {
    dir = tmpDir('weft-orderer-registrar-');
    m = await generateMaterial(dir);
  }, 60_000);

  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  beforeEach(() => {
    root = fs.mkdtempSync(path.join(dir, 'node-'));
    ledgers = new SqliteLedgerStoreProvider({ rootDir: path.join(root, 'ledgers') });
    registrar = newRegistrar();
  });

  afterEach(async () => {
    await registrar.stop();
  });

  function newRegistrar(precheck?: SignaturePrecheck): Registrar {
    return new Registrar({
      ledgers,
      consenter: new SoloConsenter({ logLevel: 'silent', syncWal: false }),
      providers: { mspProvider: new X509MspProvider(), policyProvider: new FabricPolicyProvider(), ...(precheck !== undefined && { precheck }) },
      signer: loadSigningIdentity(m.ordererOrg.nodes.orderer!.mspDir, 'OrdererMSP'),
      dataDir: path.join(root, 'orderer'),
      logger: logging.logger('orderer.common.multichannel'),
    });
  }

  const consenterDir = (channel: string): string => path.join(root, 'orderer', 'consenter', channel);

  /** A BFT channel as configtxgen writes it, this orderer its one consenter: valid, but not a consensus this orderer runs. */
  function bftChannel(): Partial<ChannelDefinitionInput> {
    const orderer = m.ordererOrg.nodes.orderer!;
    const tlsCert = fs.readFileSync(orderer.tlsCertPath);
    const consenter = { id: 1, host: '127.0.0.1', port: 7050, mspId: 'OrdererMSP', identity: fs.readFileSync(orderer.signCertPath), clientTlsCert: tlsCert, serverTlsCert: tlsCert };
    return { consensusType: { type: 'BFT', metadata: smartBftOptions() }, consenters: [consenter] };
  }

  function withGroups(channel: string, edit: (groups: ReturnType<ConfigGroup['getGroupsMap']>) => void): Uint8Array {
    const config = parseConfigBlock(genesisBlock(m, channel)).config;
    edit(config.getChannelGroup()!.getGroupsMap());
    return configBlockOf(channel, config);
  }

  it.each([
    ['ConsensusType BFT', () => genesisBlock(m, 'ct-bft', bftChannel()), 'ORDERER_BAD_JOIN_BLOCK', /consensus type "BFT", but this orderer's consenter orders "solo", "etcdraft" only/],
    ['no Application group', () => withGroups('noapp', (g) => g.del('Application')), 'ORDERER_BAD_JOIN_BLOCK', /must contain an application config/],
    ['a Consortiums group', () => withGroups('consortia', (g) => g.set('Consortiums', new ConfigGroup())), 'ORDERER_BAD_JOIN_BLOCK', /Consortiums group \(a system channel\)/],
    [
      'an unsupported orderer capability',
      () => genesisBlock(m, 'caps', { capabilities: { channel: 'V3_0', orderer: 'V3_0', application: 'V2_5' } }),
      'ORDERER_BAD_CONFIG',
      /Orderer capability V3_0 is required but not supported/,
    ],
  ])('refuses a join block with %s and writes nothing', (_what, block, code, why) => {
    const bytes = block();
    expect(codeOf(() => registrar.join(bytes))).toBe(code);
    expect(() => registrar.join(bytes)).toThrow(why);
    expect(registrar.list()).toEqual([]);
    expect(ledgers.list()).toEqual([]);
  });

  it('lists a stored channel whose consensus type it does not serve as failed, and runs the others', async () => {
    registrar.join(genesisBlock(m, 'solo-ch'));
    await registrar.stop();
    const kafka = genesisBlock(m, 'kafka-ch', { consensusType: { type: 'kafka' } });
    const store = ledgers.openBlocks('kafka-ch');
    store.append({ blockNum: 0, blockHash: blockHeaderHash(parseBlock(kafka).block.getHeader()!), blockBytes: kafka, txs: [] });
    store.close();

    registrar = newRegistrar();
    registrar.start();
    expect(registrar.info('kafka-ch')?.status).toBe('failed');
    expect(registrar.info('solo-ch')?.status).toBe('active');
  });

  it('refuses a join and a second remove while a removal of the channel is under way, and joins once it is done', async () => {
    const genesis = genesisBlock(m, 'race');
    registrar.join(genesis);
    const removing = registrar.remove('race');
    expect(codeOf(() => registrar.join(genesis))).toBe('ORDERER_PENDING_REMOVAL');
    await expect(registrar.remove('race')).rejects.toMatchObject({ code: 'ORDERER_PENDING_REMOVAL' });
    await removing;
    expect(registrar.join(genesis)).toMatchObject({ name: 'race', status: 'active', height: 1 });
  });

  it('deletes the consenter state before the ledger, and a fresh join clears consenter state an earlier channel left', async () => {
    registrar.join(genesisBlock(m, 'again'));
    expect(fs.existsSync(consenterDir('again'))).toBe(true);
    const removeLedger = ledgers.remove.bind(ledgers);
    const consenterStateAtLedgerRemoval: boolean[] = [];
    jest.spyOn(ledgers, 'remove').mockImplementation((channel) => {
      consenterStateAtLedgerRemoval.push(fs.existsSync(consenterDir(channel)));
      removeLedger(channel);
    });
    await registrar.remove('again');
    expect(consenterStateAtLedgerRemoval).toEqual([false]);

    // What a removal cut short between the two steps would have left under the old order.
    fs.mkdirSync(consenterDir('again'), { recursive: true });
    fs.writeFileSync(path.join(consenterDir('again'), 'left-by-the-removed-channel'), 'stale');
    registrar.join(genesisBlock(m, 'again', { batchTimeout: '1s' }));
    expect(fs.readdirSync(consenterDir('again'))).toEqual(['solo']);
  });

  it('refuses an envelope over AbsoluteMaxBytes before verifying any signature (Fabric: size rule before SigFilter)', async () => {
    const precheck = new SignaturePrecheck(); // no load gauge: verifies every signature it is handed
    await registrar.stop();
    registrar = newRegistrar(precheck);
    registrar.join(genesisBlock(m, 'sized', { batchSize: { maxMessageCount: 10, absoluteMaxBytes: 4096, preferredMaxBytes: 2048 } }));
    const handler = new BroadcastHandler(registrar, defaultBroadcastOptions, logging.logger('orderer.common.broadcast'), precheck);
    const checked = jest.spyOn(precheck, 'check');
    const signer = clientSigner(m);

    const oversized = await handler.handle(txEnvelope(signer, 'sized', 8000)).result;
    expect(oversized.status).toBe(Status.BAD_REQUEST);
    expect(oversized.info).toMatch(/exceeds the channel's AbsoluteMaxBytes of 4096/);
    expect(checked).not.toHaveBeenCalled();

    expect((await handler.handle(txEnvelope(signer, 'sized', 100)).result).status).toBe(Status.SUCCESS);
    expect(checked).toHaveBeenCalledTimes(1);
  });

  it('refuses a bad message for what it is while its chain is halted, and a good one SERVICE_UNAVAILABLE (Fabric: WaitReady after ProcessNormalMsg)', async () => {
    registrar.join(genesisBlock(m, 'halted', { batchSize: { maxMessageCount: 10, absoluteMaxBytes: 4096, preferredMaxBytes: 2048 } }));
    await registrar.require('halted').chain.halt();
    const handler = new BroadcastHandler(registrar, defaultBroadcastOptions, logging.logger('orderer.common.broadcast'));
    const stranger = testIdentitySigner(await (await TestOrg.create({ mspId: 'Org1MSP', domain: 'evil.example.com' })).issue('mallory', { role: 'client' }));
    const answer = async (env: Uint8Array) => (await handler.handle(env).result).status;

    expect(await answer(txEnvelope(clientSigner(m), 'halted', 8000))).toBe(Status.BAD_REQUEST);
    expect(await answer(txEnvelope(stranger, 'halted'))).toBe(Status.FORBIDDEN);
    const good = await handler.handle(txEnvelope(clientSigner(m), 'halted')).result;
    expect(good).toEqual({ status: Status.SERVICE_UNAVAILABLE, info: expect.stringMatching(/^channel halted is not serving: chain halted was halted/) });
  });

  it('orders an envelope sent again in place of its first copy when the chain refused that one', async () => {
    registrar.join(genesisBlock(m, 'again', { batchSize: { maxMessageCount: 10, absoluteMaxBytes: 4096, preferredMaxBytes: 2048 } }));
    const handler = new BroadcastHandler(registrar, defaultBroadcastOptions, logging.logger('orderer.common.broadcast'));
    const chain = registrar.require('again').chain;
    const order = jest.spyOn(chain, 'order');
    const env = txEnvelope(clientSigner(m), 'again');

    // Refused after it took its transaction id: a second copy is not answered "ordered before".
    order.mockRejectedValueOnce(new OrdererError(IngressErrorCode.Unavailable, 'the chain refused it'));
    expect((await handler.handle(env).result).status).toBe(Status.SERVICE_UNAVAILABLE);
    expect(await handler.handle(env).result).toEqual({ status: Status.SUCCESS, info: '' });
    expect(order).toHaveBeenCalledTimes(2);

    // A copy that arrives while the first is being ordered waits for it, and goes in its place when it fails.
    const other = txEnvelope(clientSigner(m), 'again');
    let fail!: (err: Error) => void;
    order.mockImplementationOnce(() => new Promise<void>((_resolve, reject) => (fail = reject)));
    const first = handler.handle(other).result;
    while (order.mock.calls.length < 3) await new Promise((resolve) => setTimeout(resolve, 5));
    const copy = handler.handle(other).result;
    // The copy needs only microtasks to reach its wait for the first.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(order).toHaveBeenCalledTimes(3);
    fail(new OrdererError(IngressErrorCode.Unavailable, 'the chain refused it'));
    expect((await first).status).toBe(Status.SERVICE_UNAVAILABLE);
    expect(await copy).toEqual({ status: Status.SUCCESS, info: '' });
    expect(order).toHaveBeenCalledTimes(4);
  });
});
