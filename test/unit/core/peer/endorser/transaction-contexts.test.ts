import { TransactionContexts } from '../../../../../core/peer/endorser/transaction-contexts';

describe('TransactionContexts (Fabric core/chaincode/transaction_contexts.go)', () => {
  it('refuses a second context for one handler, channel and txid with Fabric\'s message until the first closes', () => {
    const contexts = new TransactionContexts();
    const close = contexts.create('cc_1:ab', 'mychannel', 'tx1');
    expect(() => contexts.create('cc_1:ab', 'mychannel', 'tx1')).toThrow(expect.objectContaining({ code: 'PEER_TXID_IN_USE', message: 'txid: tx1(mychannel) exists' }));
    close();
    expect(() => contexts.create('cc_1:ab', 'mychannel', 'tx1')).not.toThrow();
  });

  it('keeps contexts apart by handler, by channel (a channel-less call has its own) and by txid', () => {
    const contexts = new TransactionContexts();
    contexts.create('cc_1:ab', 'mychannel', 'tx1');
    for (const [handler, channel, txId] of [
      ['cc_2:cd', 'mychannel', 'tx1'],
      ['cc_1:ab', 'otherchannel', 'tx1'],
      ['cc_1:ab', '', 'tx1'],
      ['cc_1:ab', 'mychannel', 'tx2'],
      // Concatenated as Fabric's context ID would be, these two would collide.
      ['cc_1:ab', 'mychannelt', 'x1'],
    ]) {
      expect(() => contexts.create(handler, channel, txId)).not.toThrow();
    }
  });

  it('lets a stale close leave a context opened since for the same transaction alone', () => {
    const contexts = new TransactionContexts();
    const first = contexts.create('scc/qscc', 'mychannel', 'tx1');
    first();
    contexts.create('scc/qscc', 'mychannel', 'tx1');
    first();
    expect(() => contexts.create('scc/qscc', 'mychannel', 'tx1')).toThrow('txid: tx1(mychannel) exists');
  });
});
