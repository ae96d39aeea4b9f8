import { X509Certificate, createHash } from 'node:crypto';
import { deliverHeaderProblem, tlsCertificateHash } from '../../../../core/protocol/deliver-request';
import type { ParsedChannelHeader } from '../../../../core/protocol/header';
import { TestOrg } from '../../../../plugins/msp-x509';

const NOW = Date.UTC(2026, 10, 22, 12);
const WINDOW = 15 * 60_000;

function header(fields: { timestamp?: Date; tlsCertHash?: Uint8Array }): ParsedChannelHeader {
  return {
    bytes: new Uint8Array(0),
    type: 5,
    version: 0,
    channelId: 'ch',
    txId: '',
    epoch: 0,
    timestamp: fields.timestamp,
    exactTimestamp: undefined,
    extension: new Uint8Array(0),
    tlsCertHash: fields.tlsCertHash ?? new Uint8Array(0),
  };
}

describe('Deliver request checks (Fabric validateChannelHeader)', () => {
  it('hashes a certificate given as PEM text, PEM bytes or DER alike', async () => {
    const pem = (await (await TestOrg.create({ mspId: 'Org1MSP' })).issue('tls-client')).certPem;
    const der = new X509Certificate(pem).raw;
    const expected = new Uint8Array(createHash('sha256').update(der).digest());
    expect(tlsCertificateHash(pem)).toEqual(expected);
    expect(tlsCertificateHash(Buffer.from(pem))).toEqual(expected);
    expect(tlsCertificateHash(der)).toEqual(expected);
  });

  it('requires a timestamp within the window of the server clock', () => {
    const rules = { now: NOW, timeWindowMs: WINDOW, clientCertHash: undefined };
    expect(deliverHeaderProblem(header({}), rules)).toMatch(/must contain timestamp/);
    expect(deliverHeaderProblem(header({ timestamp: new Date(NOW - WINDOW - 1) }), rules)).toMatch(/more than 900000 ms apart/);
    expect(deliverHeaderProblem(header({ timestamp: new Date(NOW + WINDOW + 1) }), rules)).toMatch(/more than 900000 ms apart/);
    expect(deliverHeaderProblem(header({ timestamp: new Date(NOW - WINDOW) }), rules)).toBeUndefined();
    expect(deliverHeaderProblem(header({ timestamp: new Date(NOW + WINDOW) }), rules)).toBeUndefined();
  });

  it('under mutual TLS, requires the request to name the certificate of its connection', () => {
    const connection = new Uint8Array(32).fill(0xab);
    const at = new Date(NOW);
    const rules = { now: NOW, timeWindowMs: WINDOW, clientCertHash: connection };
    expect(deliverHeaderProblem(header({ timestamp: at }), rules)).toBe("client didn't include its TLS cert hash");
    expect(deliverHeaderProblem(header({ timestamp: at, tlsCertHash: connection }), { ...rules, clientCertHash: new Uint8Array(0) })).toBe(
      "client didn't send a TLS certificate",
    );
    expect(deliverHeaderProblem(header({ timestamp: at, tlsCertHash: new Uint8Array(32).fill(1) }), rules)).toMatch(
      /^claimed TLS cert hash is 0101.* but actual TLS cert hash is abab/,
    );
    expect(deliverHeaderProblem(header({ timestamp: at, tlsCertHash: connection }), rules)).toBeUndefined();
    // Without mutual TLS a binding is not checked, whatever it says.
    expect(deliverHeaderProblem(header({ timestamp: at, tlsCertHash: new Uint8Array(32).fill(1) }), { ...rules, clientCertHash: undefined })).toBeUndefined();
  });
});
