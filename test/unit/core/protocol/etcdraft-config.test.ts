import { X509Certificate } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConfigMetadata } from '@hyperledger/fabric-protos/lib/orderer/etcdraft/configuration_pb';
import { decodeEtcdraftMetadata, etcdraftConfigMetadata, etcdraftMetadataProblem, sameCertificateKey, type ConsenterTlsTrust } from '../../../../core/protocol/etcdraft-config';

const ORGS = path.join(__dirname, '..', '..', '..', 'fixtures', 'fabric-2.5', 'etcdraft', 'organizations');
const read = (rel: string) => fs.readFileSync(path.join(ORGS, rel));
const serverCert = read('ordererOrganizations/example.com/orderers/orderer.example.com/tls/server.crt');
const ordererTlsCa = read('ordererOrganizations/example.com/msp/tlscacerts/tlsca.example.com-cert.pem');
const org1TlsCa = read('peerOrganizations/org1.example.com/msp/tlscacerts/tlsca.org1.example.com-cert.pem');
const trust: ConsenterTlsTrust = { roots: [new X509Certificate(ordererTlsCa)], intermediates: [] };
const consenter = (cert: Uint8Array, port = 7050) => ({ host: 'orderer.example.com', port, clientTlsCert: cert, serverTlsCert: cert });
const problemOf = (metadata: Uint8Array) => etcdraftMetadataProblem(decodeEtcdraftMetadata(metadata), trust);

/** Fabric's `VerifyConfigMetadata` rules (orderer/consensus/etcdraft/util.go), with its wording. */
describe('etcdraft ConsensusType metadata', () => {
  it('passes configtxgen-shaped metadata whose consenter chains to an orderer org TLS CA', () => {
    expect(problemOf(etcdraftConfigMetadata([consenter(serverCert)]))).toBeUndefined();
  });

  it.each([
    ['no options', new ConfigMetadata().serializeBinary(), 'nil Raft config metadata options'],
    ['a zero tick', etcdraftConfigMetadata([consenter(serverCert)], { heartbeatTick: 0 }), 'none of HeartbeatTick (0), ElectionTick (10) and MaxInflightBlocks (5) can be zero'],
    ['ElectionTick not above HeartbeatTick', etcdraftConfigMetadata([consenter(serverCert)], { electionTick: 2, heartbeatTick: 2 }), 'ElectionTick (2) must be greater than HeartbeatTick (2)'],
    ['a TickInterval Go does not parse', etcdraftConfigMetadata([consenter(serverCert)], { tickInterval: '500' }), /^failed to parse TickInterval \(500\) to time duration: /],
    ['a zero TickInterval', etcdraftConfigMetadata([consenter(serverCert)], { tickInterval: '0s' }), 'TickInterval cannot be zero'],
    ['no consenter', etcdraftConfigMetadata([]), 'empty consenter set'],
    ['a certificate of another CA', etcdraftConfigMetadata([consenter(org1TlsCa)]), /^consenter orderer\.example\.com:7050 has invalid certificate: verifying tls client cert with serial number \d+: x509: certificate signed by unknown authority/],
    ['bytes that are not PEM', etcdraftConfigMetadata([consenter(Buffer.from('not a certificate'))]), /^consenter orderer\.example\.com:7050 has invalid certificate: parsing tls client cert of orderer\.example\.com:7050: no PEM data found/],
    ['a certificate used twice', etcdraftConfigMetadata([consenter(serverCert), consenter(serverCert, 7051)]), /^duplicate consenter: orderer\.example\.com:7051/],
  ])('refuses %s', (_what, metadata, why) => {
    expect(problemOf(metadata)).toEqual(typeof why === 'string' ? why : expect.stringMatching(why));
  });

  it('tells a node by the public key of its TLS certificate, as Fabric finds itself among consenters', () => {
    expect(sameCertificateKey(serverCert, Buffer.from(serverCert))).toBe(true);
    expect(sameCertificateKey(serverCert, ordererTlsCa)).toBe(false);
    expect(sameCertificateKey(serverCert, Buffer.from('garbage'))).toBe(false);
  });
});
