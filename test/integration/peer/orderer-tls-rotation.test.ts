import * as fs from 'node:fs';
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { Status } from '@hyperledger/fabric-protos/lib/common/common_pb';
import { AtomicBroadcastClient } from '@hyperledger/fabric-protos/lib/orderer/ab_grpc_pb';
import { BatchSize, BatchTimeout } from '@hyperledger/fabric-protos/lib/orderer/configuration_pb';
import { FabricMSPConfig, MSPConfig } from '@hyperledger/fabric-protos/lib/msp/msp_config_pb';
import type { Config } from '@hyperledger/fabric-protos/lib/common/configtx_pb';
import { loadNodeConfig } from '../../../core/node/config';
import { loadOrdererConfig } from '../../../core/orderer/orderer-config';
import { OrdererNode } from '../../../core/orderer/orderer-node';
import { parsePeerConfig } from '../../../core/peer/peer-config';
import { PeerNode } from '../../../core/peer/peer-node';
import { parseConfigBlock } from '../../../core/protocol/config-parse';
import { generateOrg, loadSigningIdentity } from '../../../plugins/msp-x509';
import { configUpdate } from './config-updates';
import { CHANNEL, eventually, freePort, generateMaterial, genesisBlock, joinOrderer, tmpDir, writeOrdererConfig, writePeerConfig } from './network-fixture';
import { broadcast } from '../orderer/orderer-fixture';

/**
 * An orderer org rotates its TLS CA: a config update adds the new CA's root, then the orderer
 * restarts with a certificate the new CA issued. The running peer must dial it with the roots of the
 * config it now has (Fabric dials each connection with the current roots), not those it first
 * connected with, and keep committing; a restart must not be needed.
 */
it('keeps pulling from an orderer that moved to a TLS certificate of a CA the config added', async () => {
  const dir = tmpDir('weft-lab-tlsrot-');
  const m = await generateMaterial(dir);
  const fresh = await generateOrg({ domain: 'example.com', mspId: 'OrdererMSP', kind: 'orderer', nodes: ['orderer'] }, path.join(dir, 'new'));
  const [ordererPort, adminPort, p0, p1, ops] = [await freePort(), await freePort(), await freePort(), await freePort(), await freePort()];
  const genesis = genesisBlock(m, ordererPort);
  const ordererConfig = writeOrdererConfig(m, ordererPort, adminPort).configFile;
  let orderer = new OrdererNode(loadOrdererConfig(ordererConfig));
  await orderer.start();
  const peerConfig = writePeerConfig(m, 0, [p0, p1], ops, { peerSection: { gateway: { peers: [] } } }).configFile;
  const peer = new PeerNode(parsePeerConfig(loadNodeConfig(peerConfig)));
  const ca = Buffer.concat([fs.readFileSync(m.ordererOrg.tlsCaCertPath), fs.readFileSync(fresh.tlsCaCertPath)]);
  const client = new AtomicBroadcastClient(`127.0.0.1:${ordererPort}`, grpc.credentials.createSsl(ca));
  const admin = loadSigningIdentity(m.ordererOrg.users.Admin.mspDir, 'OrdererMSP');
  try {
    expect(await joinOrderer(m, adminPort, genesis)).toBe(201);
    await peer.start();
    peer.joinChannel(genesis);
    await eventually(() => expect(peer.height(CHANNEL)).toBe(1));
    const genesisConfig: Config = parseConfigBlock(genesis).config;
    const next = genesisConfig.clone();
    const mspValue = next.getChannelGroup()!.getGroupsMap().get('Orderer')!.getGroupsMap().get('OrdererMSP')!.getValuesMap().get('MSP')!;
    const mspConfig = MSPConfig.deserializeBinary(mspValue.getValue_asU8());
    const fabric = FabricMSPConfig.deserializeBinary(mspConfig.getConfig_asU8());
    fabric.addTlsRootCerts(fs.readFileSync(fresh.tlsCaCertPath));
    mspConfig.setConfig(fabric.serializeBinary());
    mspValue.setValue(mspConfig.serializeBinary());
    expect((await broadcast(client, [configUpdate(CHANNEL, genesisConfig, next, [admin], admin)]))[0]!.status).toBe(Status.SUCCESS);
    await eventually(() => expect(peer.height(CHANNEL)).toBe(2));
    const current = next;
    // An admin-signed update setting one Orderer value (each value changed once, so `current`'s versions stay right).
    const setOrdererValue = async (key: string, value: Uint8Array, height: number): Promise<void> => {
      const after = current.clone();
      after.getChannelGroup()!.getGroupsMap().get('Orderer')!.getValuesMap().get(key)!.setValue(value);
      expect((await broadcast(client, [configUpdate(CHANNEL, current, after, [admin], admin)]))[0]!.status).toBe(Status.SUCCESS);
      await eventually(() => expect(peer.height(CHANNEL)).toBe(height + 1), 15_000);
    };
    // A block pulled after the CA was added: the peer's stream is the one it opened under the new config.
    const timeout = new BatchTimeout();
    timeout.setTimeout('150ms');
    await setOrdererValue('BatchTimeout', timeout.serializeBinary(), 2);

    // The orderer restarts with a TLS certificate of the new CA.
    await orderer.stop();
    const node = m.ordererOrg.nodes.orderer;
    fs.copyFileSync(fresh.nodes.orderer.tlsCertPath, node.tlsCertPath);
    fs.copyFileSync(fresh.nodes.orderer.tlsKeyPath, node.tlsKeyPath);
    orderer = new OrdererNode(loadOrdererConfig(ordererConfig));
    await orderer.start();
    const size = BatchSize.deserializeBinary(current.getChannelGroup()!.getGroupsMap().get('Orderer')!.getValuesMap().get('BatchSize')!.getValue_asU8());
    size.setMaxMessageCount(size.getMaxMessageCount() + 1);
    await setOrdererValue('BatchSize', size.serializeBinary(), 3);
  } finally {
    client.close();
    await peer.stop();
    await orderer.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}, 90_000);
