import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { gateway } from '@hyperledger/fabric-protos';
import { Header, SignatureHeader } from '@hyperledger/fabric-protos/lib/common/common_pb';
import { Proposal } from '@hyperledger/fabric-protos/lib/peer/proposal_pb';
import { MSPPrincipal, MSPRole } from '@hyperledger/fabric-protos/lib/msp/msp_principal_pb';
import { X509MspProvider, generateOrg, parseEcdsaSignature, serializeIdentity, CURVE_ORDERS, type GeneratedOrg } from '../../../../plugins/msp-x509';
import { tempDir } from './fixtures';

/**
 * Runs the official client in a plain node process: its signer imports the ESM-only @noble/curves,
 * which jest's CommonJS runtime cannot load (node >= 22.12 can, via require(esm)). It builds a
 * proposal offline (no server is contacted), signs its digest with `signers.newPrivateKeySigner`,
 * and prints the ProposedTransaction bytes and the signature.
 */
const GATEWAY_CLIENT = `
const fs = require('node:fs');
const crypto = require('node:crypto');
const grpc = require('@grpc/grpc-js');
const { connect, hash, signers } = require('@hyperledger/fabric-gateway');
(async () => {
  const [certPath, keyPath] = process.argv.slice(1);
  const identity = { mspId: 'Org1MSP', credentials: fs.readFileSync(certPath) };
  const signer = signers.newPrivateKeySigner(crypto.createPrivateKey(fs.readFileSync(keyPath)));
  const client = new grpc.Client('127.0.0.1:1', grpc.credentials.createInsecure());
  const gw = connect({ client, identity, signer, hash: hash.sha256 });
  const proposal = gw.getNetwork('mychannel').getContract('basic').newProposal('CreateAsset', { arguments: ['asset1', 'blue'] });
  const signature = await signer(proposal.getDigest());
  process.stdout.write(JSON.stringify({
    proposed: Buffer.from(proposal.getBytes()).toString('base64'),
    signature: Buffer.from(signature).toString('base64'),
  }));
  gw.close();
  client.close();
})().catch((err) => { console.error(err); process.exit(1); });
`;

function runGatewayClient(certPath: string, keyPath: string): { proposed: Uint8Array; signature: Uint8Array } {
  const out = execFileSync(process.execPath, ['-e', GATEWAY_CLIENT, certPath, keyPath], {
    cwd: path.resolve(__dirname, '../../../..'),
    encoding: 'utf8',
  });
  const parsed = JSON.parse(out) as { proposed: string; signature: string };
  return { proposed: Buffer.from(parsed.proposed, 'base64'), signature: Buffer.from(parsed.signature, 'base64') };
}

function clientRole(mspId: string): MSPPrincipal {
  const role = new MSPRole();
  role.setMspIdentifier(mspId);
  role.setRole(MSPRole.MSPRoleType.CLIENT);
  const p = new MSPPrincipal();
  p.setPrincipalClassification(MSPPrincipal.Classification.ROLE);
  p.setPrincipal(role.serializeBinary());
  return p;
}

/**
 * The official Fabric client, given generated material, builds and signs a proposal offline; our MSP
 * must read its creator and accept its signature. No server is contacted (newProposal is local).
 */
describe('generated material with @hyperledger/fabric-gateway', () => {
  let dir: string;
  let org: GeneratedOrg;

  beforeAll(async () => {
    dir = tempDir('gateway');
    org = await generateOrg({ domain: 'org1.example.com', mspId: 'Org1MSP', kind: 'peer' }, dir);
  });

  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("accepts the gateway's creator identity and its proposal signature", async () => {
    const { proposed, signature } = runGatewayClient(org.users.User1.signCertPath, org.users.User1.keyPath);
    const signed = gateway.ProposedTransaction.deserializeBinary(proposed).getProposal()!;
    const proposalBytes = signed.getProposalBytes_asU8();
    const header = Header.deserializeBinary(Proposal.deserializeBinary(proposalBytes).getHeader_asU8());
    const creator = SignatureHeader.deserializeBinary(header.getSignatureHeader_asU8()).getCreator_asU8();

    // The gateway's {mspId, credentials} identity serializes to the same bytes our generator produces.
    expect(Buffer.from(creator).equals(Buffer.from(serializeIdentity('Org1MSP', fs.readFileSync(org.users.User1.signCertPath))))).toBe(true);

    const provider = new X509MspProvider();
    const msp = provider.createMsp(provider.loadMspConfig(org.mspDir, 'Org1MSP'));
    const manager = provider.createManager([msp]);
    const id = manager.deserializeIdentity(creator);
    expect(id.mspId).toBe('Org1MSP');
    expect(Buffer.from(id.idBytes).toString()).toBe(fs.readFileSync(org.users.User1.signCertPath, 'utf8'));
    expect(() => id.validate()).not.toThrow();
    expect(id.satisfiesPrincipal(clientRole('Org1MSP'))).toBe(true);

    // The gateway signer signed the SHA-256 digest (low-S); the MSP hashes the proposal bytes itself.
    expect(parseEcdsaSignature(signature)!.s <= CURVE_ORDERS.prime256v1 / 2n).toBe(true);
    expect(id.verify(proposalBytes, signature)).toBe(true);
    const tampered = Uint8Array.from(proposalBytes);
    tampered[tampered.length - 1] ^= 1;
    expect(id.verify(tampered, signature)).toBe(false);
  });

  it('signs low-S with a signing identity loaded from the generated MSP folder', () => {
    const provider = new X509MspProvider();
    const local = provider.loadSigningIdentity(org.users.Admin.mspDir, 'Org1MSP');
    const msp = provider.createMsp(provider.loadMspConfig(org.mspDir, 'Org1MSP'));
    const message = new TextEncoder().encode('envelope payload');
    for (let i = 0; i < 20; i++) {
      const sig = local.sign(message);
      expect(parseEcdsaSignature(sig)!.s <= CURVE_ORDERS.prime256v1 / 2n).toBe(true);
      expect(msp.deserializeIdentity(local.serialized).verify(message, sig)).toBe(true);
    }
    expect(local.organizationalUnits).toContain('admin');
  });
});
