import * as fs from 'node:fs';
import * as path from 'node:path';
import { Envelope, Header, Payload } from '@hyperledger/fabric-protos/lib/common/common_pb';
import { ChaincodeProposalPayload } from '@hyperledger/fabric-protos/lib/peer/proposal_pb';
import { ProposalResponsePayload } from '@hyperledger/fabric-protos/lib/peer/proposal_response_pb';
import { ChaincodeActionPayload, ChaincodeEndorsedAction, Transaction, TxValidationCode } from '@hyperledger/fabric-protos/lib/peer/transaction_pb';
import { computeProposalHash } from '../../../core/protocol/proposal-hash';
import type { Signer } from '../../../core/protocol/signer';
import { type Harness, commitBlock, definitionWrites, endorsedTx, openHarness, rwset } from './channel-harness';
import { type Material, generateMaterial, tmpDir } from './network-fixture';
import { cat, len, tag, vint } from '../../support/raw-protobuf';

const b = (s: string): Uint8Array => Buffer.from(s);
const codeName = (c: number): string => Object.entries(TxValidationCode).find(([, v]) => v === c)?.[0] ?? String(c);

/** The parts of an endorsed transaction, to be re-assembled in shapes honest clients do not send. */
interface TxParts {
  chdr: Uint8Array;
  shdr: Uint8Array;
  actionHeader: Uint8Array;
  cpp: Uint8Array;
  prp: Uint8Array;
  endorsements: Uint8Array[];
}

function split(envelope: Uint8Array): TxParts {
  const payload = Payload.deserializeBinary(Envelope.deserializeBinary(envelope).getPayload_asU8());
  const header = payload.getHeader() as Header;
  const action = Transaction.deserializeBinary(payload.getData_asU8()).getActionsList()[0];
  const cap = ChaincodeActionPayload.deserializeBinary(action.getPayload_asU8());
  const cea = cap.getAction() as ChaincodeEndorsedAction;
  return {
    chdr: header.getChannelHeader_asU8(),
    shdr: header.getSignatureHeader_asU8(),
    actionHeader: action.getHeader_asU8(),
    cpp: cap.getChaincodeProposalPayload_asU8(),
    prp: cea.getProposalResponsePayload_asU8(),
    endorsements: cea.getEndorsementsList().map((e) => e.serializeBinary()),
  };
}

const capOf = (p: TxParts, ceaTail: Uint8Array = new Uint8Array(0)): Uint8Array => cat(len(1, p.cpp), len(2, cat(len(1, p.prp), ...p.endorsements.map((e) => len(2, e)), ceaTail)));
const headerOf = (p: TxParts): Uint8Array => cat(len(1, p.chdr), len(2, p.shdr));

/** Envelope{Payload{header, Transaction{TransactionAction{header, cap}}}, signature}, then `tail`. */
function assemble(p: TxParts, signer: Signer, o: { header?: Uint8Array; cap?: Uint8Array; payloadHeader?: Uint8Array; tail?: Uint8Array } = {}): Uint8Array {
  const action = cat(len(1, p.actionHeader), len(2, o.cap ?? capOf(p)));
  const payload = cat(o.payloadHeader ?? len(1, o.header ?? headerOf(p)), len(2, len(1, action)));
  return cat(len(1, payload), len(2, signer.sign(payload)), o.tail ?? []);
}

/** Re-endorses `p` with a new proposal payload, as endorsers that accepted that proposal would. */
function reEndorse(p: TxParts, cpp: Uint8Array, endorsers: readonly Signer[]): TxParts {
  const extension = ProposalResponsePayload.deserializeBinary(p.prp).getExtension_asU8();
  const prp = cat(len(1, computeProposalHash(p.chdr, p.actionHeader, cpp)), len(2, extension));
  return { ...p, cpp, prp, endorsements: endorsers.map((s) => cat(len(1, s.serialized), len(2, s.sign(cat(prp, s.serialized))))) };
}

/**
 * Fabric decodes every layer of a transaction with protobuf-go; the Envelope, Payload, Transaction,
 * ChaincodeActionPayload and ChaincodeEndorsedAction layers are covered by the client's signature
 * alone (the Envelope by none). Weft must accept and refuse exactly what protobuf-go does there, or
 * a client forks Weft from Fabric with honest endorsements.
 */
describe('transactions are decoded as protobuf-go decodes them', () => {
  let dir: string;
  let m: Material;
  let h: Harness;

  beforeAll(async () => {
    dir = tmpDir('weft-peer-validation-wire-');
    m = await generateMaterial(dir);
    h = openHarness(m, path.join(dir, 'ledgers'));
    const def = endorsedTx({ creator: h.users[0], endorsers: h.peers, chaincode: '_lifecycle', results: definitionWrites('cc') }).envelope;
    expect(await commitBlock(h, [def])).toEqual([TxValidationCode.VALID]);
  }, 60_000);

  afterAll(() => {
    h?.channels.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const good = (key: string, results?: Uint8Array): TxParts =>
    split(endorsedTx({ creator: h.users[0], endorsers: h.peers, chaincode: 'cc', results: results ?? rwset({ cc: { [key]: b('1') } }) }).envelope);

  it('skips wrong wire types and groups, merges split messages, and refuses what protobuf-go refuses', async () => {
    const user = h.users[0];
    const cases: Record<string, [Uint8Array, number]> = {};
    const add = (key: string, code: number, build: (p: TxParts) => Uint8Array): void => {
      cases[key] = [build(good(key)), code];
    };
    add('control', TxValidationCode.VALID, (p) => assemble(p, user));
    // A varint `payload` after the envelope: protobuf-go keeps it as an unknown field (anyone relaying the envelope can add it).
    add('envelopeWrongWire', TxValidationCode.VALID, (p) => assemble(p, user, { tail: vint(1, 0) }));
    add('envelopeGroup', TxValidationCode.VALID, (p) => assemble(p, user, { tail: cat(tag(15, 3), tag(16, 3), vint(1, 5), tag(16, 4), tag(15, 4)) }));
    add('payloadHeaderSplit', TxValidationCode.VALID, (p) => assemble(p, user, { payloadHeader: cat(len(1, len(1, p.chdr)), len(1, len(2, p.shdr))) }));
    add('endorsedActionSplit', TxValidationCode.VALID, (p) =>
      assemble(p, user, { cap: cat(len(1, p.cpp), len(2, cat(len(1, p.prp), len(2, p.endorsements[0]))), len(2, len(2, p.endorsements[1]))) }),
    );
    add('endorsementWrongWire', TxValidationCode.VALID, (p) => assemble(p, user, { cap: cat(len(1, p.cpp), len(2, cat(len(1, p.prp), ...p.endorsements.map((e) => len(2, cat(e, vint(1, 7))))))) }));
    // An empty Endorsement a client appends is skipped by the policy, not a structural defect.
    add('emptyEndorsement', TxValidationCode.VALID, (p) => assemble(p, user, { cap: capOf(p, len(2, new Uint8Array(0))) }));
    // A ChaincodeInvocationSpec a Fabric endorser accepts (a leading wrong-wire-type field): the committer never decodes it.
    add('invocationWrongWire', TxValidationCode.VALID, (p) => {
      const input = ChaincodeProposalPayload.deserializeBinary(p.cpp).getInput_asU8();
      return assemble(reEndorse(p, len(1, cat(vint(1, 0), input)), h.peers), user);
    });
    // protobuf-go fails UnmarshalChaincodeActionPayload: msgvalidation's INVALID_ENDORSER_TRANSACTION.
    add('fieldNumberTooLarge', TxValidationCode.INVALID_ENDORSER_TRANSACTION, (p) => assemble(p, user, { cap: cat(capOf(p), vint(2 ** 29, 0)) }));
    add('varintOverflow', TxValidationCode.INVALID_ENDORSER_TRANSACTION, (p) =>
      assemble(p, user, { cap: cat(capOf(p), tag(9, 0), [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]) }),
    );
    add('unclosedGroup', TxValidationCode.INVALID_ENDORSER_TRANSACTION, (p) => assemble(p, user, { cap: cat(capOf(p), tag(9, 3)) }));
    // A Header occurrence that does not decode fails the whole Payload in protobuf-go (UnmarshalPayload).
    add('payloadHeaderCut', TxValidationCode.BAD_PAYLOAD, (p) => assemble(p, user, { payloadHeader: cat(len(1, headerOf(p)), len(1, Uint8Array.of(0x0a))) }));
    // A message occurrence is decoded on its own: bytes cut in one are not completed by the next.
    add('endorsedActionCut', TxValidationCode.INVALID_ENDORSER_TRANSACTION, (p) => {
      const whole = cat(len(1, p.prp), ...p.endorsements.map((e) => len(2, e)));
      return assemble(p, user, { cap: cat(len(1, p.cpp), len(2, whole.subarray(0, 1)), len(2, whole.subarray(1))) });
    });
    const flags = await commitBlock(h, Object.values(cases).map(([env]) => env));
    expect(Object.fromEntries(Object.keys(cases).map((k, i) => [k, codeName(flags[i])]))).toEqual(
      Object.fromEntries(Object.entries(cases).map(([k, [, code]]) => [k, codeName(code)])),
    );
    for (const key of ['envelopeWrongWire', 'payloadHeaderSplit', 'endorsedActionSplit', 'invocationWrongWire']) {
      expect(h.joined.channel.ledger.getVersionedState('cc', key)).toBeDefined();
    }
    expect(h.joined.channel.ledger.getVersionedState('cc', 'fieldNumberTooLarge')).toBeUndefined();
  });

  it('decodes the whole read/write set in the dispatcher: undecodable reads, ranges or hashed reads are BAD_RWSET', async () => {
    const write = len(3, cat(len(1, b('k')), len(3, b('v'))));
    const ns = (kvrwset: Uint8Array, extra: Uint8Array = new Uint8Array(0)): Uint8Array => len(2, cat(len(1, b('cc')), len(2, kvrwset), extra));
    const garbage = new Uint8Array([0xff, 0xff]);
    const hashedReadGarbage = len(3, cat(len(1, b('_implicit_org_Org1MSP')), len(2, len(1, garbage))));
    const cases: Record<string, [Uint8Array, number]> = {
      readGarbage: [ns(cat(len(1, garbage), write)), TxValidationCode.BAD_RWSET],
      rangeGarbage: [ns(cat(len(2, garbage), write)), TxValidationCode.BAD_RWSET],
      hashedReadGarbage: [ns(write, hashedReadGarbage), TxValidationCode.BAD_RWSET],
      readKeyNotUtf8: [ns(cat(len(1, len(1, new Uint8Array([0xc3, 0x28]))), write)), TxValidationCode.BAD_RWSET],
      // protobuf-go skips a wrong-wire-type key in a read, and never checks the data model.
      readWrongWire: [ns(cat(len(1, cat(len(1, b('absent')), vint(1, 3))), len(3, cat(len(1, b('readWrongWire')), len(3, b('v')))))), TxValidationCode.VALID],
      dataModelOne: [cat(vint(1, 1), ns(len(3, cat(len(1, b('dataModelOne')), len(3, b('v')))))), TxValidationCode.VALID],
    };
    const envelopes = Object.values(cases).map(([results]) => endorsedTx({ creator: h.users[0], endorsers: h.peers, chaincode: 'cc', results }).envelope);
    const flags = await commitBlock(h, envelopes);
    expect(Object.fromEntries(Object.keys(cases).map((k, i) => [k, codeName(flags[i])]))).toEqual(
      Object.fromEntries(Object.entries(cases).map(([k, [, code]]) => [k, codeName(code)])),
    );
    expect(h.joined.channel.ledger.getVersionedState('cc', 'dataModelOne')).toBeDefined();
  });
});
