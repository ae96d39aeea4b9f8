import { Flags } from '@oclif/core';
import { WeftCommand } from '../../base-command';
import { hsmKeyFlags, hsmKeyOptions, networkDirArg } from '../../common-flags';
import { addPeer, type AddPeerResult } from '../../services/network/network-add-peer';
import { shellWord } from '../../../core/node/shell-word';

export default class NetworkAddPeer extends WeftCommand {
  static override summary = "Add a peer to an org of the network: issue its certificates from the org's CAs, start it, join its channels and catch it up.";
  static override description =
    "Fabric's register + enroll of a peer identity, its core.yaml, `peer node start` and `peer channel join` in one step. Issues the peer's enrollment certificate (NodeOU peer) and TLS server certificate (naming its host) from the org's CA and TLS CA " +
    'in the cryptogen layout under organizations/peerOrganizations/<domain>/peers/<name>.<domain> (keys 0600), lists it in network.yaml with ports of its own, writes its config, and adds it to the other peers\' configs (running peers learn it by membership exchange: no restart). ' +
    "Unless --no-start: starts it, installs the chaincode packages its org's peers have, joins it to each channel of its org, or those --channel names (network.yaml lists it on them only), from the genesis block (or, for the snapshot's channel, from --snapshot), and waits until its height reaches the other peers'. " +
    "Into an org whose peers sign in a PKCS#11 token (weft network init --hsm-library), the new peer's signing key is generated in that same token and its config gets the same bccsp PKCS11 section (no keystore file; the PIN from WEFT_PKCS11_PIN); --hsm-library/--hsm-label name the token instead (both or neither). " +
    "Needs the org's CA keys (CA_KEY_NOT_HERE in a directory from weft network export). Refuses a taken name or port, an unknown org and the orderer org; nothing is written then.";
  static override examples = [
    '<%= config.bin %> network add-peer ./net --org Org1',
    '<%= config.bin %> network add-peer ./net --org Org1 --name peer5 --port 7300 --json',
    '<%= config.bin %> network add-peer ./net --org Org2 --snapshot ./net/nodes/peer0.org2.example.com/data/snapshots/completed/mychannel/120',
    '<%= config.bin %> network add-peer ./net --org Org1 --host 10.0.0.12 --no-start',
    '<%= config.bin %> network add-peer ./net --org Org1 --name audit0 --channel audit',
    'WEFT_PKCS11_PIN=1234 <%= config.bin %> network add-peer ./net --org Org1 --hsm-library /usr/lib/softhsm/libsofthsm2.so --hsm-label weft',
  ];
  static override args = { dir: networkDirArg };
  static override flags = {
    org: Flags.string({ description: 'the peer org (name, MSP ID or domain)', required: true }),
    name: Flags.string({ description: "the peer's host label, e.g. peer1 (default the next free peerN)" }),
    host: Flags.string({ description: "where other machines reach it: DNS name or IPv4 address (default the host of the org's first peer)" }),
    port: Flags.integer({ description: 'its gRPC port (default the next free one above the network\'s highest); its operations port follows', min: 1, max: 65535 }),
    start: Flags.boolean({ description: 'start it, join its channels and wait until it caught up (--no-start: only write it; weft network up starts it)', default: true, allowNo: true }),
    channel: Flags.string({
      description: "a channel of its org to join (repeatable; default every one): network.yaml lists it on those only, so weft network up leaves it off the others",
      multiple: true,
    }),
    snapshot: Flags.string({ description: "join the snapshot's channel from this ledger snapshot (<snapshot root>/completed/<channel>/<block>) instead of the genesis block" }),
    timeout: Flags.integer({ description: 'seconds to wait for a snapshot import, and for the peer to catch up on each channel', default: 600, min: 1 }),
    ...hsmKeyFlags('its', "the token the org's peers sign in, if they do, else a file"),
  };

  async run(): Promise<AddPeerResult> {
    const { args, flags } = await this.parse(NetworkAddPeer);
    const result = await addPeer(
      args.dir,
      {
        org: flags.org,
        name: flags.name,
        host: flags.host,
        port: flags.port,
        start: flags.start,
        snapshot: flags.snapshot,
        ...(flags.channel === undefined ? {} : { channels: flags.channel }),
        timeoutMs: flags.timeout * 1000,
        ...hsmKeyOptions(flags),
      },
      (m) => this.progress(m),
    );
    this.log(`${result.peer.id} (${result.mspId}) at ${result.peer.address} (operations ${result.peer.operationsAddress}), serial ${result.peer.serialNumber}`);
    for (const c of result.channels ?? []) this.log(`  ${c.channel}: joined from the ${c.joinedFrom}, height ${c.height} (the other peers: ${c.othersHeight})`);
    if (!result.started) this.log(`next: weft network up ${shellWord(args.dir)} --node ${result.peer.id}`);
    return result;
  }
}
