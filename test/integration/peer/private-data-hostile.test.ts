import * as path from 'node:path';
import Sqlite from 'better-sqlite3';
import type { Contract } from '@hyperledger/fabric-gateway';
import { encodeTxPvtRwSet } from '../../../core/ledger/private-data';
import { signPvtPush } from '../../../core/peer/privdata/pvt-push';
import type { Signer } from '../../../core/protocol/signer';
import { loadSigningIdentity } from '../../../plugins/msp-x509';
import { collectionPackage } from '../../support/lifecycle-collections';
import { deployChaincodeInProcess, gatewayOn, peersInSync, startInProcessNetwork, type InProcessNetwork } from './in-process-network';
import { CHANNEL, PRIVATE_DIR, rawEndorser } from './network-fixture';

const utf8 = new TextDecoder();

/**
 * Org1's peer endorses alone (the chaincode's policy is either org's peer), so Org2's peer holds
 * `shared` only through what is pushed to it, or what it pulls at commit. No reconciliation runs:
 * whatever the commit does not get stays missing.
 */
describe('private data dissemination against a hostile peer of the channel', () => {
  let net: InProcessNetwork;
  let org1: Contract;
  let org2: Contract;
  /** A peer of the channel: any such peer may push, whether or not its org is a member. */
  let hostile: Signer;

  const pushTo = async (peer: 0 | 1, txId: string, rwset: string, collection = 'shared'): Promise<void> => {
    const endorser = rawEndorser(net.m.orgs[peer], net.ports[peer]);
    try {
      const pvt = encodeTxPvtRwSet([{ namespace: 'private', collection, rwset: Buffer.from(rwset) }]);
      await endorser.pushPrivateData(signPvtPush({ channelId: CHANNEL, txId, height: 1, pvt }, hostile), Date.now() + 10_000);
    } finally {
      endorser.close();
    }
  };
  const get = async (contract: Contract, key: string): Promise<string> => utf8.decode(await contract.evaluateTransaction('Get', 'shared', key));

  beforeAll(async () => {
    net = await startInProcessNetwork({ prefix: 'weft-peer-pvt-hostile-', peerSection: { privateData: { reconciliationEnabled: false, pullRetryThresholdMs: 5_000 } } });
    await deployChaincodeInProcess(net, {
      projectDir: PRIVATE_DIR,
      label: 'private_1',
      name: 'private',
      collections: collectionPackage({ name: 'shared', maximumPeerCount: 1 }, { name: 'org1only', policy: "OR('Org1MSP.member')" }),
      policy: "OR('Org1MSP.peer', 'Org2MSP.peer')",
    });
    org1 = gatewayOn(net, 0).getNetwork(CHANNEL).getContract('private');
    org2 = gatewayOn(net, 1).getNetwork(CHANNEL).getContract('private');
    hostile = loadSigningIdentity(net.m.orgs[0].nodes.peer0.mspDir, net.m.orgs[0].mspId);
  }, 120_000);

  afterAll(() => net?.close());

  const putOnOrg1 = async (key: string, value: string, beforeEndorsing: (txId: string) => Promise<void>): Promise<void> => {
    const proposal = org1.newProposal('Put', { arguments: ['shared', key], transientData: { value: Buffer.from(value) }, endorsingOrganizations: ['Org1MSP'] });
    await beforeEndorsing(proposal.getTransactionId());
    const status = await (await (await proposal.endorse()).submit()).getStatus();
    expect(status.successful).toBe(true);
    await peersInSync(net.peers);
  };

  it('keeps the endorser’s push when a forged push for the same transaction came first, as Fabric keeps every version', async () => {
    await putOnOrg1('first-wins', 'genuine', (txId) => pushTo(1, txId, 'forged'));
    expect(await get(org2, 'first-wins')).toBe('genuine');
  });

  it('pulls at commit what no held version hashes to, however many forged versions were pushed', async () => {
    await putOnOrg1('flooded', 'genuine-too', async (txId) => {
      for (let i = 0; i < 20; i++) await pushTo(1, txId, `forged-${i}`);
    });
    expect(await get(org2, 'flooded')).toBe('genuine-too');
  });

  it('refuses a push whose tx_id no transaction can have, before it costs the store anything', async () => {
    const refusal = await pushTo(1, 'f'.repeat(65), 'any').then(
      () => undefined,
      (err: { code?: number; details?: string }) => ({ code: err.code, details: err.details }),
    );
    expect(refusal).toEqual({ code: 3, details: 'the tx_id of a private data push has 65 characters; a transaction ID has at most 64 (hex SHA-256)' });
  });

  /** Whether Org2's peer holds `txId` in its transient store, read from the file it writes (WAL: a reader sees every committed write). */
  const heldByOrg2 = (txId: string): boolean => {
    const db = new Sqlite(path.join(net.peerFiles[1].dataDir, 'transient', `${CHANNEL}.sqlite`), { readonly: true });
    try {
      return (db.prepare('SELECT COUNT(*) AS n FROM transient WHERE txid = ?').get(txId) as { n: number }).n > 0;
    } finally {
      db.close();
    }
  };

  it('does not keep a push for a transaction already committed, which would otherwise wait out retention', async () => {
    let committed = '';
    await putOnOrg1('late', 'on-time', (txId) => {
      committed = txId;
      return Promise.resolve();
    });
    await pushTo(1, committed, 'replayed');
    expect(heldByOrg2(committed)).toBe(false);
  });

  it('keeps only the collections its org is a member of, whoever pushes them', async () => {
    const pending = 'a'.repeat(64);
    await pushTo(1, pending, 'not-for-org2', 'org1only');
    expect(heldByOrg2(pending)).toBe(false);
    await pushTo(1, pending, 'for-org2');
    expect(heldByOrg2(pending)).toBe(true);
  });
});
