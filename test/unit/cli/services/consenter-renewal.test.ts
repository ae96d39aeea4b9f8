import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { findFreePorts } from '../../../../cli/services/free-ports';
import { reissueBackdated } from '../../../../cli/services/network/expired-member-backdate';
import { openNetwork } from '../../../../cli/services/network/network-access';
import { DEFAULT_INIT_OPTIONS, initNetwork } from '../../../../cli/services/network/network-init';
import { renewMember } from '../../../../cli/services/network/network-renew';
import { resolveMspOrg } from '../../../../cli/services/network/org-msp-channels';

/**
 * A `solo` network's orderer may be the consenter of an etcdraft channel joined outside network.yaml
 * (`osnadmin channel join`), which names its TLS certificate and finds it by that key. Where its
 * channels cannot be seen (it does not run here), renewing it keeps its TLS key, as for an etcdraft
 * network's orderer. On a network `weft network init --consensus solo` made, never started.
 */
describe("renewing a stopped solo network's orderer", () => {
  let tmp: string;
  let net: string;
  beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-consenter-renewal-'));
    net = path.join(tmp, 'net');
    await initNetwork(net, { ...DEFAULT_INIT_OPTIONS, orgs: 1, consensus: 'solo', basePort: await findFreePorts(5) }, () => undefined);
  });
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  const ordererTls = (): { cert: Buffer; key: Buffer } => {
    const { tlsDir } = openNetwork(net).orderers()[0]!;
    return { cert: fs.readFileSync(path.join(tlsDir, 'server.crt')), key: fs.readFileSync(path.join(tlsDir, 'server.key')) };
  };

  it('weft network renew re-issues its TLS certificate for the key it has, and says why', async () => {
    const before = ordererTls();
    const messages: string[] = [];
    const renewed = await renewMember(net, { node: 'orderer.example.com' }, (m) => void messages.push(m));
    const after = ordererTls();
    expect(after.cert).not.toEqual(before.cert);
    expect(after.key).toEqual(before.key);
    expect(renewed.consenterUpdates).toBeUndefined();
    expect(messages.join('\n')).toContain(
      "orderer.example.com does not run here, so the channels it serves can be neither listed nor told a new consenter certificate: orderer.example.com's TLS certificate is re-issued for the key it has",
    );
  });

  it('the whole-network recovery (every node stopped) re-issues its TLS certificate for the key it has', async () => {
    const network = openNetwork(net);
    const orderer = network.orderers()[0]!;
    const before = ordererTls();
    await reissueBackdated(network, resolveMspOrg(network, 'OrdererOrg'), { id: orderer.id, ended: ['enrollment'], renew: { node: orderer.id } }, undefined, () => undefined);
    const after = ordererTls();
    expect(after.cert).not.toEqual(before.cert);
    expect(after.key).toEqual(before.key);
  });
});
