import * as path from 'node:path';
import { ContainerModule } from '../../../../core/di';
import { PluginError } from '../../../../core/errors';
import { assembleContainer } from '../../../../core/node/container';
import { type NodeConfig, NodeConfigToken, parseNodeConfig } from '../../../../core/node/config';
import { asWeftPlugin } from '../../../../core/node/plugin';
import { STOCK_PLUGINS, loadPlugin } from '../../../../core/node/plugin-loader';

const fixtures = path.resolve(__dirname, '../../../fixtures/plugins');

function config(plugins: Record<string, unknown>): NodeConfig {
  return parseNodeConfig(
    { id: 'n1', kind: 'peer', dataDir: 'data', msp: { id: 'Org1MSP', dir: 'msp' }, plugins },
    fixtures,
  );
}

describe('plugin loading', () => {
  it('loads a custom plugin from a path relative to the config file', () => {
    const plugin = loadPlugin('./good-plugin', fixtures);
    expect(plugin.manifest).toEqual({ name: 'good-plugin', version: '1.0.0', slots: ['policy'] });
  });

  it('lists the stock plugins when a name is unknown', () => {
    let caught: unknown;
    try {
      loadPlugin('ledger-rocksdb', fixtures);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(PluginError);
    expect((caught as PluginError).code).toBe('PLUGIN_UNKNOWN');
    for (const name of STOCK_PLUGINS) expect((caught as PluginError).message).toContain(name);
  });

  it('rejects a missing path, a module without plugin exports and an invalid manifest', () => {
    expect(() => loadPlugin('./nowhere', fixtures)).toThrow(expect.objectContaining({ code: 'PLUGIN_NOT_FOUND' }));
    expect(() => loadPlugin('./not-a-plugin', fixtures)).toThrow(expect.objectContaining({ code: 'PLUGIN_BAD_EXPORTS' }));
    let caught: PluginError | undefined;
    try {
      loadPlugin('./bad-manifest', fixtures);
    } catch (err) {
      caught = err as PluginError;
    }
    expect(caught?.code).toBe('PLUGIN_BAD_MANIFEST');
    expect(caught?.message).toContain('name');
    expect(caught?.message).toContain('version');
    expect(caught?.message).toContain('slots.0');
  });

  it('accepts the plugin shape on a default export too', () => {
    const module = new ContainerModule(() => undefined);
    const plugin = asWeftPlugin({ default: { manifest: { name: 'x', version: '1', slots: ['msp'] }, module } }, 'test');
    expect(plugin.module).toBe(module);
  });
});

describe('container assembly', () => {
  it('binds the node config and loads the configured plugin module', () => {
    const { container, plugins } = assembleContainer(config({ policy: { plugin: './good-plugin' } }), {
      overrides: { msp: { manifest: { name: 'noop-msp', version: '1', slots: ['msp'] }, module: new ContainerModule(() => undefined) } },
    });
    expect(container.get<NodeConfig>(NodeConfigToken).id).toBe('n1');
    expect(container.get<string>(Symbol.for('never-bound'), { optional: true })).toBeUndefined();
    expect(plugins.policy?.manifest.name).toBe('good-plugin');
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { GREETING } = require(path.join(fixtures, 'good-plugin')) as { GREETING: symbol };
    expect(container.get<string>(GREETING)).toBe('hello from a custom plugin');
  });

  it('refuses a plugin configured for a slot it does not fill', () => {
    expect(() =>
      assembleContainer(config({ ledger: { plugin: './good-plugin' } }), {
        overrides: {
          msp: { manifest: { name: 'noop', version: '1', slots: ['msp'] }, module: new ContainerModule(() => undefined) },
          policy: { manifest: { name: 'noop2', version: '1', slots: ['policy'] }, module: new ContainerModule(() => undefined) },
        },
      }),
    ).toThrow(expect.objectContaining({ code: 'PLUGIN_WRONG_SLOT' }));
  });

  it('refuses a plugin whose module does not bind the slot token', () => {
    const Required = Symbol('PolicyProvider');
    expect(() =>
      assembleContainer(config({ policy: { plugin: './good-plugin' } }), {
        requiredTokens: { policy: Required },
        overrides: { msp: { manifest: { name: 'noop', version: '1', slots: ['msp'] }, module: new ContainerModule(() => undefined) } },
      }),
    ).toThrow(expect.objectContaining({ code: 'PLUGIN_SLOT_UNBOUND' }));
  });
});
