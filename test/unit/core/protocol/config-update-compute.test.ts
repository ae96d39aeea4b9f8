import { Config, ConfigGroup, ConfigPolicy, ConfigValue } from '@hyperledger/fabric-protos/lib/common/configtx_pb';
import { Policy } from '@hyperledger/fabric-protos/lib/common/policies_pb';
import { ConfigError } from '../../../../core/errors';
import { computeConfigUpdate } from '../../../../core/protocol/config-update-compute';

/** A config group as plain data, written compactly: what the read/write set assertions compare. */
interface Plain {
  v: number;
  mod?: string;
  values?: Record<string, { v: number; mod?: string; value?: string }>;
  policies?: Record<string, { v: number; mod?: string; type?: number }>;
  groups?: Record<string, Plain>;
}

function plain(g: ConfigGroup): Plain {
  const out: Plain = { v: g.getVersion() };
  if (g.getModPolicy() !== '') out.mod = g.getModPolicy();
  const values = [...g.getValuesMap().entries()];
  if (values.length > 0) {
    out.values = Object.fromEntries(
      values.map(([k, v]) => [
        k,
        { v: v.getVersion(), ...(v.getModPolicy() !== '' && { mod: v.getModPolicy() }), ...(v.getValue_asU8().length > 0 && { value: Buffer.from(v.getValue_asU8()).toString() }) },
      ]),
    );
  }
  const policies = [...g.getPoliciesMap().entries()];
  if (policies.length > 0) {
    out.policies = Object.fromEntries(
      policies.map(([k, p]) => [k, { v: p.getVersion(), ...(p.getModPolicy() !== '' && { mod: p.getModPolicy() }), ...(p.getPolicy() !== undefined && { type: p.getPolicy()!.getType() }) }]),
    );
  }
  const groups = [...g.getGroupsMap().entries()];
  if (groups.length > 0) out.groups = Object.fromEntries(groups.map(([k, c]) => [k, plain(c)]));
  return out;
}

function build(p: Plain): ConfigGroup {
  const g = new ConfigGroup();
  g.setVersion(p.v);
  g.setModPolicy(p.mod ?? '');
  for (const [k, v] of Object.entries(p.values ?? {})) {
    const cv = new ConfigValue();
    cv.setVersion(v.v);
    cv.setModPolicy(v.mod ?? '');
    cv.setValue(Buffer.from(v.value ?? ''));
    g.getValuesMap().set(k, cv);
  }
  for (const [k, v] of Object.entries(p.policies ?? {})) {
    const cp = new ConfigPolicy();
    cp.setVersion(v.v);
    cp.setModPolicy(v.mod ?? '');
    if (v.type !== undefined) {
      const policy = new Policy();
      policy.setType(v.type);
      cp.setPolicy(policy);
    }
    g.getPoliciesMap().set(k, cp);
  }
  for (const [k, c] of Object.entries(p.groups ?? {})) g.getGroupsMap().set(k, build(c));
  return g;
}

function config(p: Plain): Config {
  const c = new Config();
  c.setSequence(3);
  c.setChannelGroup(build(p));
  return c;
}

const org = (mspId: string, v = 0): Plain => ({
  v,
  mod: 'Admins',
  values: { MSP: { v, mod: 'Admins', value: `msp of ${mspId}` }, AnchorPeers: { v: 1, mod: 'Admins', value: `peer0 of ${mspId}` } },
  policies: { Admins: { v, mod: 'Admins', type: 1 }, Readers: { v: 0, mod: 'Admins', type: 1 } },
});

/** A channel config at mixed versions, as one looks after a few updates. */
const current: Plain = {
  v: 0,
  mod: 'Admins',
  values: { Capabilities: { v: 0, mod: 'Admins', value: 'V3_0' } },
  policies: { Admins: { v: 0, mod: 'Admins', type: 3 } },
  groups: {
    Orderer: {
      v: 0,
      mod: 'Admins',
      values: { BatchTimeout: { v: 2, mod: 'Admins', value: '2s' }, BatchSize: { v: 0, mod: 'Admins', value: '500' } },
      groups: { OrdererMSP: org('OrdererMSP') },
    },
    Application: { v: 1, mod: 'Admins', policies: { Admins: { v: 0, mod: 'Admins', type: 3 } }, groups: { Org1MSP: org('Org1MSP', 1), Org2MSP: org('Org2MSP') } },
  },
};

const changed = (edit: (p: Plain) => void): Config => {
  const next = structuredClone(current);
  edit(next);
  return config(next);
};

const compute = (next: Config) => {
  const update = computeConfigUpdate('ch1', config(current), next);
  return { channelId: update.getChannelId(), read: plain(update.getReadSet()!), write: plain(update.getWriteSet()!) };
};

describe('computeConfigUpdate (Fabric update.Compute)', () => {
  it('a changed value: written at version+1 with its mod_policy; the path to it read and written at its versions, without values', () => {
    const update = compute(changed((p) => (p.groups!.Orderer!.values!.BatchTimeout!.value = '500ms')));
    expect(update.channelId).toBe('ch1');
    expect(update.read).toEqual({ v: 0, groups: { Orderer: { v: 0 } } });
    expect(update.write).toEqual({ v: 0, groups: { Orderer: { v: 0, values: { BatchTimeout: { v: 3, mod: 'Admins', value: '500ms' } } } } });
  });

  it('a changed policy (or a changed mod_policy of a value) is written at version+1', () => {
    const update = compute(
      changed((p) => {
        p.policies!.Admins!.type = 1;
        p.groups!.Orderer!.values!.BatchSize!.mod = 'Writers';
      }),
    );
    expect(update.write).toEqual({
      v: 0,
      policies: { Admins: { v: 1, mod: 'Admins', type: 1 } },
      groups: { Orderer: { v: 0, values: { BatchSize: { v: 1, mod: 'Writers', value: '500' } } } },
    });
    expect(update.read).toEqual({ v: 0, groups: { Orderer: { v: 0 } } });
  });

  it('an added group: its parent read at its version with every member, written at version+1; the new group at version 0 throughout', () => {
    // The new org's group comes from elsewhere at other versions: Fabric writes it all at 0.
    const update = compute(changed((p) => (p.groups!.Application!.groups!.Org3MSP = org('Org3MSP', 4))));
    const memberVersions = { Org1MSP: { v: 1 }, Org2MSP: { v: 0 } };
    expect(update.read).toEqual({ v: 0, groups: { Application: { v: 1, policies: { Admins: { v: 0 } }, groups: memberVersions } } });
    expect(update.write).toEqual({
      v: 0,
      groups: {
        Application: {
          v: 2,
          mod: 'Admins',
          policies: { Admins: { v: 0 } },
          groups: {
            ...memberVersions,
            Org3MSP: {
              v: 0,
              mod: 'Admins',
              values: { MSP: { v: 0, mod: 'Admins', value: 'msp of Org3MSP' }, AnchorPeers: { v: 0, mod: 'Admins', value: 'peer0 of Org3MSP' } },
              policies: { Admins: { v: 0, mod: 'Admins', type: 1 }, Readers: { v: 0, mod: 'Admins', type: 1 } },
            },
          },
        },
      },
    });
  });

  it('a removed group: its parent written at version+1 listing the members that stay', () => {
    const update = compute(changed((p) => delete p.groups!.Application!.groups!.Org2MSP));
    expect(update.read).toEqual({ v: 0, groups: { Application: { v: 1, policies: { Admins: { v: 0 } }, groups: { Org1MSP: { v: 1 } } } } });
    expect(update.write).toEqual({ v: 0, groups: { Application: { v: 2, mod: 'Admins', policies: { Admins: { v: 0 } }, groups: { Org1MSP: { v: 1 } } } } });
  });

  it('a nested change beside a membership change: the changed child keeps its own read and write sets', () => {
    const update = compute(
      changed((p) => {
        delete p.groups!.Application!.groups!.Org2MSP;
        p.groups!.Application!.groups!.Org1MSP!.values!.AnchorPeers!.value = 'peer1 of Org1MSP';
      }),
    );
    expect(update.read).toEqual({ v: 0, groups: { Application: { v: 1, policies: { Admins: { v: 0 } }, groups: { Org1MSP: { v: 1 } } } } });
    expect(update.write).toEqual({
      v: 0,
      groups: { Application: { v: 2, mod: 'Admins', policies: { Admins: { v: 0 } }, groups: { Org1MSP: { v: 1, values: { AnchorPeers: { v: 2, mod: 'Admins', value: 'peer1 of Org1MSP' } } } } } },
    });
  });

  it("a group's changed mod_policy bumps the group as a membership change does", () => {
    const update = compute(changed((p) => (p.groups!.Orderer!.mod = 'Writers')));
    expect(update.read).toEqual({ v: 0, groups: { Orderer: { v: 0, values: { BatchTimeout: { v: 2 }, BatchSize: { v: 0 } }, groups: { OrdererMSP: { v: 0 } } } } });
    expect(update.write).toEqual({ v: 0, groups: { Orderer: { v: 1, mod: 'Writers', values: { BatchTimeout: { v: 2 }, BatchSize: { v: 0 } }, groups: { OrdererMSP: { v: 0 } } } } });
  });

  it('refuses configs that do not differ, as Fabric does ("no differences detected")', () => {
    let err: unknown;
    try {
      computeConfigUpdate('ch1', config(current), config(structuredClone(current)));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect(err).toMatchObject({ code: 'CONFIG_UPDATE_EMPTY', message: expect.stringMatching(/no differences detected between original and updated config/) });
  });

  it('refuses a config without a channel group', () => {
    expect(() => computeConfigUpdate('ch1', new Config(), config(current))).toThrow(expect.objectContaining({ code: 'CONFIG_UPDATE_NO_CHANNEL_GROUP' }));
  });
});
