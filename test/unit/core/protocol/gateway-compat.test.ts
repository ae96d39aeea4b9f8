import { createHash, generateKeyPairSync, sign as nodeSign } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
// Deep import: the package index loads its ESM-only @noble/curves signer, which jest's CommonJS
// runtime cannot require; gateway.js alone covers the proposal and transaction builders.
import { connect } from '@hyperledger/fabric-gateway/dist/gateway';
import { Envelope } from '@hyperledger/fabric-protos/lib/common/common_pb';
import { PreparedTransaction, ProposedTransaction } from '@hyperledger/fabric-protos/lib/gateway/gateway_pb';
import { SignedProposal } from '@hyperledger/fabric-protos/lib/peer/proposal_pb';
import {
  buildProposalResponse,
  buildTransactionEnvelope,
  parseSerializedIdentity,
  parseSignedProposal,
  parseTransactionEnvelope,
} from '../../../../core/protocol';
import { newTestSigner, utf8 } from './test-signer';

/** The official Fabric Gateway client builds proposals and signs transactions; Weft must read both. */
describe('compatibility with @hyperledger/fabric-gateway', () => {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const credentials = utf8('-----BEGIN CERTIFICATE-----\nZ2F0ZXdheQ==\n-----END CERTIFICATE-----\n');
  let client: grpc.Client;

  beforeAll(() => {
    // Never dialled: the offline-signing flow makes no calls.
    client = new grpc.Client('127.0.0.1:1', grpc.credentials.createInsecure());
  });
  afterAll(() => client.close());

  it('parses a proposal built by the gateway client and assembles a transaction the client can sign', () => {
    const gateway = connect({ client, identity: { mspId: 'Org1MSP', credentials } });
    try {
      const contract = gateway.getNetwork('mychannel').getContract('basic', 'AssetContract');
      const unsigned = contract.newProposal('Transfer', {
        arguments: ['asset1', utf8('Bob')],
        transientData: { price: '100' },
      });
      // Offline signing: the digest is SHA-256 of the bytes; node signs the bytes with the same hash.
      const proposalBytes = (ProposedTransaction.deserializeBinary(unsigned.getBytes()).getProposal() as SignedProposal).getProposalBytes_asU8();
      const signedProposal = gateway.newSignedProposal(unsigned.getBytes(), nodeSign('sha256', proposalBytes, privateKey));
      const proposed = ProposedTransaction.deserializeBinary(signedProposal.getBytes());
      const spBytes = (proposed.getProposal() as SignedProposal).serializeBinary();

      const p = parseSignedProposal(spBytes);
      expect(p.txId).toBe(signedProposal.getTransactionId());
      expect(p.channelId).toBe('mychannel');
      expect(p.chaincodeName).toBe('basic');
      expect(p.args.map((a) => Buffer.from(a).toString())).toEqual(['AssetContract:Transfer', 'asset1', 'Bob']);
      expect(Buffer.from(p.transient.get('price') ?? []).toString()).toBe('100');
      expect(parseSerializedIdentity(p.creator)).toEqual({ mspId: 'Org1MSP', idBytes: credentials });
      expect(p.nonce).toHaveLength(24);

      // Endorse, prepare unsigned (as the Gateway service does), let the client sign it.
      const endorser = newTestSigner('Org1MSP', 'peer0');
      const response = buildProposalResponse({
        proposal: p,
        response: { status: 200, payload: utf8('ok') },
        results: utf8('rwset'),
        chaincodeId: { name: 'basic', version: '1.0' },
        endorser,
      });
      const envelope = Envelope.deserializeBinary(buildTransactionEnvelope(p, [response]));
      expect(envelope.getSignature_asU8()).toHaveLength(0);
      const prepared = new PreparedTransaction();
      prepared.setTransactionId(p.txId);
      prepared.setEnvelope(envelope);
      const unsignedTx = gateway.newTransaction(prepared.serializeBinary());
      const signedTx = gateway.newSignedTransaction(unsignedTx.getBytes(), nodeSign('sha256', envelope.getPayload_asU8(), privateKey));
      const signedEnvelope = PreparedTransaction.deserializeBinary(signedTx.getBytes()).getEnvelope() as Envelope;

      const tx = parseTransactionEnvelope(signedEnvelope.serializeBinary());
      expect(tx.txId).toBe(p.txId);
      expect(tx.signature.length).toBeGreaterThan(0);
      expect(createHash('sha256').update(tx.payloadBytes).digest()).toEqual(Buffer.from(unsignedTx.getDigest()));
      expect(tx.action.invocation.args.map((a) => Buffer.from(a).toString())).toEqual(['AssetContract:Transfer', 'asset1', 'Bob']);
      expect(tx.action.endorsements).toHaveLength(1);
    } finally {
      gateway.close();
    }
  });
});
