import { X509Certificate } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DEFAULT_INIT_OPTIONS, initNetwork } from '../../../../cli/services/network/network-init';
import { renewOrgCas } from '../../../../cli/services/network/org-ca-renewal';
import { encodeTime } from '../../../../plugins/msp-x509/crypto-material/certificate-builder';
import { loadOrgCa } from '../../../../plugins/msp-x509/crypto-material/org-authority';
import { reissue } from '../../plugins/msp-x509/cert-forge';

const DAY_MS = 86_400_000;
const ORDERER = 'orderer.example.com';

/**
 * The orderer org whose CA and TLS CA both expired, on a network `weft network init` made and
 * nothing started: its orderer was stopped before the recovery, so the recovery re-issues what
 * ended but leaves the orderer stopped, and ends before the channel step it could not order.
 */
describe("network renew --org OrdererOrg --ca --tls-ca, both expired, its orderer stopped before", () => {
  let tmp: string;
  let net: string;
  const ordererOrgDir = (): string => path.join(net, 'organizations', 'ordererOrganizations', 'example.com');
  const caFile = (which: 'ca' | 'tlsca'): string => path.join(ordererOrgDir(), which, loadOrgCa(ordererOrgDir(), which).fileName);

  beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-orderer-cas-'));
    net = path.join(tmp, 'net');
    await initNetwork(net, { ...DEFAULT_INIT_OPTIONS, basePort: 46200 });
    for (const which of ['ca', 'tlsca'] as const) {
      const file = caFile(which);
      const expired = await reissue(new X509Certificate(fs.readFileSync(file)).raw, undefined, {
        selfSignKey: loadOrgCa(ordererOrgDir(), which).signer.privateKey,
        mutate: (c) => {
          c.notBefore = encodeTime(new Date(Date.now() - 730 * DAY_MS));
          c.notAfter = encodeTime(new Date(Date.now() - DAY_MS));
        },
      });
      fs.writeFileSync(file, expired.pem);
    }
  });
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('re-issues the CAs and every copy, starts no node it did not stop, then ORDERERS_DOWN naming the orderer and how to finish; run again, it is the same recovery', async () => {
    const messages: string[] = [];
    const err = await renewOrgCas(net, { org: 'OrdererOrg', ca: true, tlsCa: true }, (m) => void messages.push(m)).catch((e: unknown) => e);
    expect(err).toMatchObject({
      code: 'ORDERERS_DOWN',
      details: { field: '--org', org: 'OrdererOrg', orderers: [ORDERER], suggestions: [`start one on its re-issued certificates: weft network up ${net} --node ${ORDERER}`, expect.stringContaining('--org OrdererOrg --ca --tls-ca again')] },
    });
    expect(messages.join('\n')).toContain(`${ORDERER} was stopped before the recovery: left stopped`);
    expect(messages.some((m) => m.startsWith('stopping'))).toBe(false);
    for (const which of ['ca', 'tlsca'] as const) expect(new Date(new X509Certificate(fs.readFileSync(caFile(which))).validTo).getTime()).toBeGreaterThan(Date.now());
    // The orderer's own copy of its TLS root, which it reads at start, is the renewed one.
    expect(fs.readFileSync(path.join(ordererOrgDir(), 'orderers', ORDERER, 'tls', 'ca.crt'))).toEqual(fs.readFileSync(caFile('tlsca')));
    expect(fs.existsSync(path.join(net, 'run', `${ORDERER}.pid`))).toBe(false);
    // Under way, having stopped nothing: run again, it is this recovery again (not a renewal of CAs now valid), and still starts nothing.
    expect(JSON.parse(fs.readFileSync(path.join(net, 'run', 'renew-stopped.json'), 'utf8'))).toEqual({ OrdererMSP: { stopped: [] } });
    const caNow = fs.readFileSync(caFile('ca'));
    await expect(renewOrgCas(net, { org: 'OrdererOrg', ca: true, tlsCa: true }, () => {})).rejects.toMatchObject({ code: 'ORDERERS_DOWN' });
    expect(fs.readFileSync(caFile('ca'))).toEqual(caNow);
  });
});
