import { gatewayFailure } from '../../../../cli/services/chaincode/gateway-errors';
import { ChaincodeError } from '../../../../core/errors';

describe('gatewayFailure', () => {
  it('leads with the chaincode message and names the endorser', () => {
    const err = gatewayFailure(
      {
        message: '10 ABORTED: failed to endorse transaction, see attached details for more info',
        code: 10,
        details: [{ address: '127.0.0.1:7051', mspId: 'Org1MSP', message: 'chaincode response 500, The asset a1 already exists' }],
      },
      'basic CreateAsset',
    ) as ChaincodeError;
    expect(err.message).toBe('basic CreateAsset failed: The asset a1 already exists (chaincode status 500, endorser Org1MSP 127.0.0.1:7051)');
    expect(err.details).toEqual(expect.objectContaining({ chaincodeStatus: 500, chaincodeMessage: 'The asset a1 already exists' }));
  });

  it('tells an undefined chaincode apart and suggests deploying it', () => {
    const err = gatewayFailure(
      { message: '10 ABORTED: x', details: [{ mspId: 'Org1MSP', message: 'chaincode response 500, make sure the chaincode cc has been successfully defined on channel c' }] },
      'cc f',
    ) as ChaincodeError;
    expect(err.message).toMatch(/not committed on this channel/);
    expect(err.details.suggestions).toEqual(expect.arrayContaining([expect.stringMatching(/weft chaincode deploy/)]));
    for (const message of [
      '9 FAILED_PRECONDITION: no combination of peers can be derived which satisfy the endorsement policy: No metadata was found for chaincode cc in channel c',
      '9 FAILED_PRECONDITION: no peers available to evaluate chaincode cc in channel c',
    ]) {
      expect(gatewayFailure({ message, code: 9 }, 'cc f').message).toMatch(/not committed on this channel/);
    }
  });

  it('points at the network when the peer is unreachable', () => {
    const err = gatewayFailure({ message: '14 UNAVAILABLE: No connection established', code: 14 }, 'cc f') as ChaincodeError;
    expect(err.details.suggestions).toEqual(['is the network up? check with: weft network status <dir>']);
  });

  it('names the org that has not approved when a commit is refused, rather than blaming the function name', () => {
    const err = gatewayFailure(
      {
        message: '10 ABORTED: failed to endorse transaction, see attached details for more info',
        code: 10,
        details: [
          {
            address: '127.0.0.1:7053',
            mspId: 'Org3MSP',
            message: "chaincode response 500, failed to invoke backing implementation of 'CommitChaincodeDefinition': chaincode definition not agreed to by this org (Org3MSP)",
          },
        ],
      },
      '_lifecycle CommitChaincodeDefinition',
    ) as ChaincodeError;
    const suggestions = err.details.suggestions as string[];
    expect(suggestions.join('\n')).not.toMatch(/function name/);
    expect(suggestions).toEqual([expect.stringMatching(/^Org3MSP has not approved .*weft chaincode check-commit-readiness/), expect.stringMatching(/weft chaincode approve <dir> --org Org3MSP /)]);
  });

  it("answers another _lifecycle refusal with the definitions to compare, naming the network's directory, not the function name", () => {
    const err = gatewayFailure(
      {
        message: '10 ABORTED: failed to endorse transaction, see attached details for more info',
        code: 10,
        details: [
          {
            address: '127.0.0.1:7051',
            mspId: 'Org1MSP',
            message: "chaincode response 500, failed to invoke backing implementation of 'ApproveChaincodeDefinitionForMyOrg': the proposed collection config does not contain previously defined collections",
          },
        ],
      },
      '_lifecycle ApproveChaincodeDefinitionForMyOrg',
      './net',
    ) as ChaincodeError;
    expect(err.details.suggestions).toEqual([
      "_lifecycle refused this definition: compare it with the committed one (weft chaincode query-committed ./net --name <name> --json) and with each org's approval (weft chaincode check-commit-readiness ./net --name <name>)",
    ]);
    expect((gatewayFailure({ message: '14 UNAVAILABLE: No connection established', code: 14 }, 'cc f', './net') as ChaincodeError).details.suggestions).toEqual([
      'is the network up? check with: weft network status ./net',
    ]);
  });

  it('points a client refused by a member-only collection at a member org', () => {
    for (const access of ['read', 'write']) {
      const err = gatewayFailure(
        {
          message: '10 ABORTED: x',
          details: [
            { mspId: 'Org3MSP', message: `chaincode response 500, tx creator does not have ${access} access permission on privatedata in chaincodeName:private collectionName: assetCollection` },
          ],
        },
        'private ReadAsset',
      ) as ChaincodeError;
      expect(err.details.suggestions).toEqual([expect.stringMatching(new RegExp(`^collection assetCollection lets only its member orgs' clients ${access} it: act as a member org with --org`))]);
    }
  });

  it("drops grpc-js's empty \"Resolution note: \" from an unreachable peer's error, and keeps a note with words in it", () => {
    const refused = gatewayFailure({ message: '14 UNAVAILABLE: No connection established. Last error: Error: connect ECONNREFUSED 127.0.0.1:7802. Resolution note: ', code: 14 }, 'items Read');
    expect(refused.message).toBe('items Read failed: 14 UNAVAILABLE: No connection established. Last error: Error: connect ECONNREFUSED 127.0.0.1:7802');
    const relayed = gatewayFailure(
      { message: '10 ABORTED: x', code: 10, details: [{ mspId: 'Org2MSP', address: '127.0.0.1:7804', message: 'failed to connect: No addresses resolved. Resolution note: ' }] },
      'items Create',
    ) as ChaincodeError;
    expect(relayed.details.endorsers).toEqual(['Org2MSP 127.0.0.1:7804: failed to connect: No addresses resolved']);
    const noted = gatewayFailure({ message: '14 UNAVAILABLE: No connection established. Last error: null. Resolution note: DNS lookup failed for peer0', code: 14 }, 'items Read');
    expect(noted.message).toBe('items Read failed: 14 UNAVAILABLE: No connection established. Last error: null. Resolution note: DNS lookup failed for peer0');
  });

  it('suggests starting the chaincode server at its address when the endorsers could not reach it', () => {
    const id = 'remote_1.0:88e416be762f5c102275f45517b0f5a8b62eb8b119fbac5e67a501b7f79f04c4';
    // The endorsers' words, as a Weft peer answered an invoke with the ccaas server stopped.
    const unreachable = (address: string): string =>
      `error in simulation: chaincode ${id} at ${address}: could not connect within the dial timeout of 3000 ms (Failed to connect before the deadline): is the chaincode server running, and listening there?`;
    const err = gatewayFailure(
      {
        message: '10 ABORTED: failed to evaluate transaction, see attached details for more info',
        code: 10,
        details: [
          { mspId: 'Org1MSP', address: '127.0.0.1:7802', message: unreachable('127.0.0.1:7890') },
          { mspId: 'Org2MSP', address: '127.0.0.1:7804', message: unreachable('127.0.0.1:7890') },
        ],
      },
      'remote Read',
    ) as ChaincodeError;
    expect(err.details.suggestions).toEqual([
      `start the chaincode server at 127.0.0.1:7890, where the package's connection.json points the peers: CHAINCODE_ID=${id} CHAINCODE_SERVER_ADDRESS=0.0.0.0:7890 (Go, Java or fabric-shim servers), or: fabric-chaincode-node server --chaincode-id ${id} --chaincode-address 0.0.0.0:7890`,
    ]);
    // A templated address ({{.peername}}) differs per peer: one line for each server.
    const perPeer = gatewayFailure(
      { message: '10 ABORTED: x', code: 10, details: [{ mspId: 'Org1MSP', message: unreachable('org1peer0-basic:9999') }, { mspId: 'Org2MSP', message: unreachable('org2peer0-basic:9998') }] },
      'remote Read',
    ) as ChaincodeError;
    expect((perPeer.details.suggestions as string[]).map((s) => /^start the chaincode server at (\S+),/.exec(s)?.[1])).toEqual(['org1peer0-basic:9999', 'org2peer0-basic:9998']);
  });

  it("names a chaincode server that is down when no peer answered before the deadline, and the server's address once the Gateway says it", () => {
    // What the client says itself when its deadline passed with no answer (a Gateway that does not answer before it).
    const bare = gatewayFailure({ message: '4 DEADLINE_EXCEEDED: Deadline exceeded after 30.006s,LB pick: 0.001s,remote_addr=127.0.0.1:7602', code: 4 }, 'remote Read') as ChaincodeError;
    expect(bare.message).toBe('remote Read failed: 4 DEADLINE_EXCEEDED: Deadline exceeded after 30.006s,LB pick: 0.001s,remote_addr=127.0.0.1:7602');
    expect(bare.details.suggestions).toEqual([
      "if the chaincode runs as a service (weft chaincode package --ccaas), is its server running? Each peer that cannot reach it waits the package's dial timeout (--dial-timeout) before the next peer is asked",
      'a chaincode function that runs longer than the deadline: check the peer logs under <dir>/logs',
    ]);
    // A Weft Gateway answers before the deadline with what the peers it tried said, so the server's address is known.
    const id = 'remote_1.0:664937fa73291a07edc62eceae223d51e3c9f5674c4051ac99ff63d2c923ab80';
    const early = gatewayFailure(
      {
        message: '4 DEADLINE_EXCEEDED: evaluate timeout expired, see attached details for more info',
        code: 4,
        details: [
          {
            mspId: 'Org1MSP',
            address: '127.0.0.1:7602',
            message: `error in simulation: chaincode ${id} at 127.0.0.1:7690: could not connect within the dial timeout of 10000 ms (Failed to connect before the deadline): is the chaincode server running, and listening there?`,
          },
          { mspId: 'Org2MSP', address: '127.0.0.1:7604', message: "no answer within 9001 ms, when the client's deadline was near" },
        ],
      },
      'remote Read',
    ) as ChaincodeError;
    expect(early.details.suggestions).toEqual([expect.stringMatching(/^start the chaincode server at 127\.0\.0\.1:7690, /)]);
    expect(early.details.endorsers).toEqual([expect.stringMatching(/^Org1MSP 127\.0\.0\.1:7602: error in simulation/), "Org2MSP 127.0.0.1:7604: no answer within 9001 ms, when the client's deadline was near"]);
  });
});
