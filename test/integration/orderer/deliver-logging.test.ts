import * as fs from 'node:fs';
import * as path from 'node:path';
import { Status } from '@hyperledger/fabric-protos/lib/common/common_pb';
import { NodeLogging } from '../../../core/node/logger';
import { BroadcastHandler, defaultBroadcastOptions } from '../../../core/orderer/broadcast-handler';
import { DeliverHandler, type DeliverSink } from '../../../core/orderer/deliver-handler';
import { Registrar } from '../../../core/orderer/registrar';
import { SqliteLedgerStoreProvider } from '../../../plugins/ledger-sqlite/sqlite-ledger-store-provider';
import { loadSigningIdentity, TestOrg, X509MspProvider } from '../../../plugins/msp-x509';
import { SoloConsenter } from '../../../plugins/orderer-solo';
import { FabricPolicyProvider } from '../../../plugins/policy-fabric';
import { capturedLog } from '../../support/captured-log';
import { clientSigner, generateMaterial, genesisBlock, seekEnvelope, testIdentitySigner, tmpDir, txEnvelope, type Material } from './orderer-fixture';

const CLIENT = '192.0.2.7:40000';
const WARN = 40;

/**
 * What the orderer's Deliver logs when it refuses a request, as Fabric's deliver handler
 * (common/deliver/deliver.go) warns naming the channel and the client: one structured warning per
 * refusal, none for a request served, and never a certificate.
 */
describe('orderer Deliver: refusals are logged', () => {
  let dir: string;
  let m: Material;
  let registrar: Registrar;
  let stranger: ReturnType<typeof testIdentitySigner>;

  beforeAll(async () => {
    dir = tmpDir('weft-orderer-deliver-log-');
    m = await generateMaterial(dir);
    const evil = await TestOrg.create({ mspId: 'Org1MSP', domain: 'evil.example.com' });
    stranger = testIdentitySigner(await evil.issue('mallory', { role: 'client' }));
    const logging = new NodeLogging('silent');
    registrar = new Registrar({
      ledgers: new SqliteLedgerStoreProvider({ rootDir: path.join(dir, 'ledgers') }),
      consenter: new SoloConsenter({ logLevel: 'silent', syncWal: false }),
      providers: { mspProvider: new X509MspProvider(), policyProvider: new FabricPolicyProvider() },
      signer: loadSigningIdentity(m.ordererOrg.nodes.orderer!.mspDir, 'OrdererMSP'),
      dataDir: path.join(dir, 'orderer'),
      logger: logging.logger('orderer.common.multichannel'),
    });
    registrar.start();
    registrar.join(genesisBlock(m, 'logch'));
    registrar.join(genesisBlock(m, 'doomed'));
  }, 60_000);

  afterAll(async () => {
    await registrar?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** Serves one request with a handler logging into `lines`; `during` runs while it is being served. */
  async function serve(request: Uint8Array, during?: () => Promise<void>): Promise<{ status: number | undefined; lines: Record<string, unknown>[] }> {
    const { base, lines } = capturedLog();
    const handler = new DeliverHandler(registrar, { timeWindowMs: 15 * 60_000, logger: base.child({ component: 'common.deliver' }, { level: 'debug' }) });
    let status: number | undefined;
    const sink: DeliverSink = {
      sendBlock: () => Promise.resolve(),
      sendStatus: (s) => (status = s),
      signal: new AbortController().signal,
      remoteAddress: CLIENT,
    };
    const served = handler.handle(request, sink);
    await during?.();
    // The transport ends the stream unless the answer was SUCCESS, so the handler hands it back.
    expect(await served).toBe(status);
    return { status, lines };
  }

  const warnings = (lines: Record<string, unknown>[]) => lines.filter((l) => (l.level as number) >= WARN);

  it('warns naming the channel, the client and why when a client is not authorized, without its certificate', async () => {
    const { status, lines } = await serve(seekEnvelope(stranger, 'logch', 'oldest', 'newest'));
    expect(status).toBe(Status.FORBIDDEN);
    expect(warnings(lines)).toEqual([
      expect.objectContaining({ msg: 'deliver client is not authorized', channel: 'logch', client: CLIENT, status: 'FORBIDDEN', reason: expect.stringMatching(/deliver client/) }),
    ]);
    expect(JSON.stringify(lines)).not.toContain('BEGIN CERTIFICATE');
  });

  it('warns when a FAIL_IF_NOT_READY seek runs past the end, and when a channel is removed under an open stream', async () => {
    const past = await serve(seekEnvelope(clientSigner(m), 'logch', 'oldest', 5, 'fail'));
    expect(past.status).toBe(Status.NOT_FOUND);
    expect(warnings(past.lines)).toEqual([
      expect.objectContaining({ msg: 'deliver request refused', channel: 'logch', client: CLIENT, status: 'NOT_FOUND', reason: "block 1 not found: the channel's height is 1 (FAIL_IF_NOT_READY)" }),
    ]);

    const removed = await serve(seekEnvelope(clientSigner(m), 'doomed', 'oldest', 5), () => registrar.remove('doomed'));
    expect(removed.status).toBe(Status.SERVICE_UNAVAILABLE);
    expect(warnings(removed.lines)).toEqual([
      expect.objectContaining({ channel: 'doomed', client: CLIENT, status: 'SERVICE_UNAVAILABLE', reason: 'channel doomed was removed from this orderer' }),
    ]);
  });

  it('warns of a rejected Broadcast with its channel, status and reason (Fabric: "Rejecting broadcast of normal message"), and stays quiet for one taken', async () => {
    const { base, lines } = capturedLog();
    const handler = new BroadcastHandler(registrar, defaultBroadcastOptions, base.child({ component: 'orderer.common.broadcast' }));
    expect((await handler.handle(txEnvelope(stranger, 'logch')).result).status).toBe(Status.FORBIDDEN);
    expect(warnings(lines)).toEqual([expect.objectContaining({ msg: 'broadcast rejected', channel: 'logch', status: 'FORBIDDEN', reason: expect.any(String) })]);
    expect(JSON.stringify(lines)).not.toContain('BEGIN CERTIFICATE');
    lines.length = 0;
    expect((await handler.handle(txEnvelope(clientSigner(m), 'logch')).result).status).toBe(Status.SUCCESS);
    expect(warnings(lines)).toEqual([]);
  });

  it('stays quiet for a request served and logs an unknown channel at debug only, as SDKs poll for new channels', async () => {
    const served = await serve(seekEnvelope(clientSigner(m), 'logch', 'oldest', 'newest'));
    expect(served.status).toBe(Status.SUCCESS);
    expect(served.lines).toEqual([]);

    const unknown = await serve(seekEnvelope(clientSigner(m), 'nochannel', 'oldest', 'newest'));
    expect(unknown.status).toBe(Status.NOT_FOUND);
    expect(warnings(unknown.lines)).toEqual([]);
    expect(unknown.lines).toEqual([expect.objectContaining({ level: 20, client: CLIENT })]);
  });
});
