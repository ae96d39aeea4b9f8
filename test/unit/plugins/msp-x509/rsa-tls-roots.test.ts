import { generateKeyPairSync } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { FabricMSPConfig } from '@hyperledger/fabric-protos/lib/msp/msp_config_pb';
import { findFreePorts } from '../../../../cli/services/free-ports';
import { TrustedClientRoots } from '../../../../core/node/trusted-client-roots';
import { CertificateAuthority, X509Msp, subjectKeyIdOf, type IssuedCertificate } from '../../../../plugins/msp-x509';
import { RSA_SHA256, resign } from './cert-forge';

const NOT_BEFORE = new Date('2000-01-01T00:00:00Z');
const bytes = (pem: string): Uint8Array => new TextEncoder().encode(pem);

const ECHO: grpc.ServiceDefinition = {
  Call: {
    path: '/weft.test.Echo/Call',
    requestStream: false,
    responseStream: false,
    requestSerialize: (b: Buffer) => b,
    requestDeserialize: (b: Buffer) => b,
    responseSerialize: (b: Buffer) => b,
    responseDeserialize: (b: Buffer) => b,
  },
};

function call(port: number, serverRoot: string, client: IssuedCertificate): Promise<string> {
  const creds = grpc.credentials.createSsl(Buffer.from(serverRoot), Buffer.from(client.keyPem), Buffer.from(client.certPem));
  const stub = new grpc.Client(`localhost:${port}`, creds);
  return new Promise((resolve) => {
    stub.makeUnaryRequest('/weft.test.Echo/Call', (b: Buffer) => b, (b: Buffer) => b, Buffer.from('ping'), (err, reply) => {
      stub.close();
      resolve(err ? `error ${grpc.status[err.code]}` : String(reply));
    });
  });
}

/**
 * An org whose TLS CA is an RSA root with an ECDSA TLS intermediate, as an enterprise PKI gives:
 * Fabric's MSP sets it up (setupTLSCAs), and the node's mutual-TLS listener, whose client roots
 * are the channel MSPs' tls_root_certs and tls_intermediate_certs, takes its members' certificates.
 */
describe('an RSA TLS root CA in tls_root_certs', () => {
  let server: grpc.Server | undefined;
  afterEach(() => server?.forceShutdown());

  it("is accepted by the MSP and by the mutual-TLS gRPC listener as the root of its members' server and client certificates", async () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const twin = await CertificateAuthority.createRoot({ commonName: 'tlsca.rsa.example.com', organization: 'rsa.example.com', notBefore: NOT_BEFORE });
    const root = resign(new Uint8Array(twin.certificate.raw), rsa.privateKey, RSA_SHA256, { subjectKey: rsa.publicKey });
    const ica = await twin.createIntermediate({ commonName: 'tlsica.rsa.example.com', notBefore: NOT_BEFORE });
    const icaCert = resign(new Uint8Array(ica.certificate.raw), rsa.privateKey, RSA_SHA256, { authorityKeyId: subjectKeyIdOf(rsa.publicKey) });
    const member = await ica.issue({ commonName: 'peer0.rsa.example.com', usage: 'tls', subjectAltNames: ['localhost'] });

    const msp = new FabricMSPConfig();
    msp.setName('RsaMSP');
    msp.setRootCertsList([bytes(root.pem)]);
    msp.setIntermediateCertsList([bytes(icaCert.pem)]);
    msp.setTlsRootCertsList([bytes(root.pem)]);
    msp.setTlsIntermediateCertsList([bytes(icaCert.pem)]);
    msp.setAdminsList([bytes(member.certPem)]);
    expect(() => new X509Msp(msp, {}, 'MSPv1_3')).not.toThrow();

    // The server is a member too: its clients verify it up to the RSA root, it verifies them against the channel's TLS CAs.
    const own = await ica.issue({ commonName: 'localhost', usage: 'tls', subjectAltNames: ['localhost'] });
    const serverTrust = `${root.pem}${icaCert.pem}`;
    const roots = new TrustedClientRoots([]);
    roots.setChannel('ch1', [msp]);
    const provider = roots.certificateProvider({ cert: Buffer.from(own.certPem), key: Buffer.from(own.keyPem) });
    server = new grpc.Server();
    server.addService(ECHO, { Call: (c: grpc.ServerUnaryCall<Buffer, Buffer>, done: grpc.sendUnaryData<Buffer>) => done(null, Buffer.from('pong')) });
    const port = await findFreePorts(1);
    await new Promise<void>((resolve, reject) =>
      server!.bindAsync(`127.0.0.1:${port}`, grpc.experimental.createCertificateProviderServerCredentials(provider, provider, true), (err) => (err ? reject(err) : resolve())),
    );

    expect(await call(port, serverTrust, member)).toBe('pong');
    const stranger = await (await CertificateAuthority.createRoot({ commonName: 'tlsca.other.example.com', organization: 'other.example.com' })).issue({ commonName: 'x', usage: 'tls' });
    expect(await call(port, serverTrust, stranger)).toBe('error UNAVAILABLE');
  });
});
