import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { backedUpCertificates } from '../../../../cli/services/network/node-revocation';

/**
 * `weft network revoke --node` / `renew --revoke-old` find a member's earlier certificates under
 * `backups/`: its replaced enrollment certificates, and (for the TLS CA's CRL) its replaced TLS
 * certificates, each once, from every renew and remove run.
 */
describe('backed-up certificates of a member', () => {
  let net: string;
  const member = (): string => path.join(net, 'organizations', 'peerOrganizations', 'org1.example.com', 'peers', 'peer0.org1.example.com');
  const write = (file: string, text: string): void => {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text);
  };

  beforeAll(() => {
    net = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-node-revocation-'));
    const rel = path.relative(net, member());
    for (const [run, n] of [['renew-2026-01-01', 1], ['renew-2026-02-01', 2], ['remove-2026-03-01', 2]] as const) {
      write(path.join(net, 'backups', run, rel, 'msp', 'signcerts', 'peer0.org1.example.com-cert.pem'), `enrollment ${n}`);
      write(path.join(net, 'backups', run, rel, 'tls', 'server.crt'), `tls ${n}`);
      write(path.join(net, 'backups', run, rel, 'tls', 'server.key'), `key ${n}`);
      write(path.join(net, 'backups', run, rel, 'tls', 'ca.crt'), 'tls ca');
    }
  });
  afterAll(() => fs.rmSync(net, { recursive: true, force: true }));

  it('reads the enrollment certificates by default and the TLS certificates (not keys, not the CA) with tls, each once', () => {
    expect(backedUpCertificates(net, member()).map(String).sort()).toEqual(['enrollment 1', 'enrollment 2']);
    expect(backedUpCertificates(net, member(), 'tls').map(String).sort()).toEqual(['tls 1', 'tls 2']);
  });
});
