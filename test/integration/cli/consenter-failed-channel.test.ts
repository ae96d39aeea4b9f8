import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { OrdererAdminClient } from '../../../cli/services/client/orderer-admin';
import { findFreePorts } from '../../../cli/services/free-ports';
import { openNetwork } from '../../../cli/services/network/network-access';
import { channelGenesisBlock } from '../../../cli/services/network/network-channels';
import { DEFAULT_INIT_OPTIONS, initNetwork } from '../../../cli/services/network/network-init';
import { NetworkLayout } from '../../../cli/services/network/network-layout';
import { renewInPlace, renewMember } from '../../../cli/services/network/network-renew';
import { startNode, stopNode, waitFor } from '../../../cli/services/network/node-processes';
import { orgAuthority } from '../../../cli/services/network/org-authority';

const ORDERER = 'orderer.example.com';

/**
 * A channel an orderer lists as `failed` orders no config update, so renewing the orderer cannot
 * tell it a new consenter certificate, and it may name the orderer's TLS key: renewing it keeps that
 * key. The failed channel is made as it happens: an etcdraft channel naming the orderer, which
 * then got a new TLS key while stopped, so the channel cannot open when it starts again. One real
 * orderer process (started without `weft network up`, whose health check a failed channel fails),
 * on a `solo` network `weft network init` made.
 */
describe('renewing a running orderer that lists a channel as failed', () => {
  let tmp: string;
  let net: string;
  beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-consenter-failed-'));
    net = path.join(tmp, 'net');
    await initNetwork(net, { ...DEFAULT_INIT_OPTIONS, orgs: 1, consensus: 'solo', basePort: await findFreePorts(5) });
  });
  afterAll(async () => {
    if (net !== undefined) await stopNode(openNetwork(net).orderers()[0]!, 5000);
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  const ordererTls = (): { cert: Buffer; key: Buffer } => {
    const { tlsDir } = openNetwork(net).orderers()[0]!;
    return { cert: fs.readFileSync(path.join(tlsDir, 'server.crt')), key: fs.readFileSync(path.join(tlsDir, 'server.key')) };
  };

  it('keeps its TLS key (a new certificate for it), updates no channel, and says which channel holds it back and how to free it', async () => {
    const layout = openNetwork(net);
    const orderer = layout.orderers()[0]!;
    const participation = new OrdererAdminClient(orderer, layout);
    const start = async (): Promise<void> => {
      startNode(orderer);
      await waitFor(orderer, 'serving its admin API', async () => (await participation.list(), true));
    };
    await start();
    const stale = channelGenesisBlock(new NetworkLayout(net, { ...layout.spec, consensus: 'etcdraft' }), { name: 'stale', batchTimeout: '250ms', maxMessageCount: 10 });
    await participation.join('stale', stale);
    await stopNode(orderer, 5000);
    // A new TLS key while stopped, as renewing a stopped orderer gave it before it kept the key.
    await renewInPlace(net, orderer.cryptoDir, new Date(), (out) => orgAuthority().renewOrgMember({ orgDir: layout.ordererOrgDir(), domain: layout.spec.ordererOrg.domain }, orderer.cryptoDir, out));
    await start();
    expect(await participation.info('stale')).toMatchObject({ status: 'failed' });

    const before = ordererTls();
    const messages: string[] = [];
    const renewed = await renewMember(net, { node: ORDERER }, (m) => void messages.push(m));
    const after = ordererTls();
    expect(after.key).toEqual(before.key);
    expect(after.cert).not.toEqual(before.cert);
    expect(renewed).toMatchObject({ id: ORDERER, reloaded: true });
    expect(renewed.consenterUpdates).toBeUndefined();
    expect(messages.join('\n')).toContain(
      `${ORDERER} lists channel stale as failed, which orders no config update and may name its TLS key; remove it with osnadmin channel remove, or rejoin it, to have a new key: ${ORDERER}'s TLS certificate is re-issued for the key it has`,
    );
  }, 60_000);
});
