import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { ChaincodeError } from '../../../../core/errors';
import { gatewayFailure } from '../../../../cli/services/chaincode/gateway-errors';
import { namingStoppedNodes } from '../../../../cli/services/chaincode/stopped-nodes';
import { invokeChaincode } from '../../../../cli/services/chaincode/transact';
import { resolveUser } from '../../../../cli/services/client/client-identity';
import { openNetwork } from '../../../../cli/services/network/network-access';
import { stoppedNetwork } from '../../../support/stopped-network';

/**
 * During a rolling restart (`weft network down ./net --node peer0.org1.example.com`, then `up`), an
 * invoke through the stopped peer failed "14 UNAVAILABLE: No connection established … ECONNREFUSED
 * 127.0.0.1:7702" with the advice "is the network up? check with: weft network status <dir>", and
 * with the orderer stopped "no orderers could successfully process transaction" with the same advice.
 * The CLI knows which nodes of the directory have no process: it names them and the command that
 * starts them.
 */
describe('an invoke or query that fails UNAVAILABLE while nodes here are stopped', () => {
  const stopped = stoppedNetwork('weft-stopped-nodes-');

  it('names the Gateway peer the call went to and the command that starts it', async () => {
    const layout = openNetwork(stopped.dir);
    const user = resolveUser(layout, undefined, undefined);
    const call = namingStoppedNodes(layout, './net', user, undefined, () => invokeChaincode(layout, user, { chaincode: 'assets', fn: 'Create', args: ['a', 'b'] }));
    const err = await call.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ChaincodeError);
    const { message, details } = err as ChaincodeError;
    const peer = layout.peers()[0]!;
    expect(message).toContain(`\n  the Gateway peer this call went to, peer0.org1.example.com (${peer.address}), is not running\n  also not running here: orderer.example.com, peer0.org2.example.com`);
    expect(details).toMatchObject({ grpcCode: 14, stoppedNodes: ['orderer.example.com', 'peer0.org1.example.com', 'peer0.org2.example.com'] });
    expect(details.suggestions).toEqual(['start it: weft network up ./net --node peer0.org1.example.com', `see why it stopped: ${peer.logFile}`]);
  });

  it('names the stopped orderer when no orderer took a Submit, and leaves other failures as they were', async () => {
    const layout = openNetwork(stopped.dir);
    const user = resolveUser(layout, undefined, undefined);
    // Org1's peer and Org2's run from other directories (their keys are not here): only the orderer is this directory's to start.
    for (const peer of layout.peers()) fs.rmSync(path.join(peer.mspDir, 'keystore'), { recursive: true, force: true });
    const submitRefused = gatewayFailure(Object.assign(new Error('14 UNAVAILABLE: no orderers could successfully process transaction'), { name: 'SubmitError', code: 14, details: [] }), 'assets Create');
    const err = await namingStoppedNodes(layout, './net', user, undefined, () => Promise.reject(submitRefused)).catch((e: unknown) => e as ChaincodeError);
    expect(err.message).toBe('assets Create failed: 14 UNAVAILABLE: no orderers could successfully process transaction\n  the ordering service is not running here: orderer.example.com');
    expect(err.details.suggestions).toEqual(['start it: weft network up ./net --node orderer.example.com', `see why it stopped: ${layout.orderers()[0]!.logFile}`]);

    const refusal = new ChaincodeError('GATEWAY_FAILED', 'assets Read failed: The item x does not exist', { chaincodeStatus: 500 });
    await expect(namingStoppedNodes(layout, './net', user, undefined, () => Promise.reject(refusal))).rejects.toBe(refusal);
  });
});
