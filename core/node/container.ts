import { Container } from '../di';
import { PluginError } from '../errors';
import { type NodeConfig, NodeConfigToken } from './config';
import { type NodeLogging, NodeLoggingToken } from './logger';
import { type WeftPlugin, pluginFills } from './plugin';
import { loadPlugin } from './plugin-loader';
import { SLOTS, type Slot } from './slots';

/** The core token a plugin filling each slot must bind (checked after loading). */
export type SlotTokens = Partial<Record<Slot, symbol>>;

export interface AssembleOptions {
  /** Tokens that must be bound once each slot's plugin is loaded. */
  readonly requiredTokens?: SlotTokens;
  /** Plugins to use instead of resolving a slot's config reference (tests, embedding). */
  readonly overrides?: Partial<Record<Slot, WeftPlugin>>;
  /** The node's loggers, bound to {@link NodeLoggingToken} for plugins that log. */
  readonly logging?: NodeLogging;
}

export interface AssembledNode {
  readonly container: Container;
  readonly plugins: Partial<Record<Slot, WeftPlugin>>;
}

/**
 * Builds a node's DI container from its config: binds the config itself, then loads, for each
 * configured slot, the one plugin named there. This is the only place that turns plugin names into
 * code; everything else receives implementations through core tokens.
 */
export function assembleContainer(config: NodeConfig, options: AssembleOptions = {}): AssembledNode {
  const container = new Container({ defaultScope: 'Singleton' });
  container.bind(NodeConfigToken).toConstantValue(config);
  if (options.logging !== undefined) container.bind(NodeLoggingToken).toConstantValue(options.logging);
  const plugins: Partial<Record<Slot, WeftPlugin>> = {};
  const loaded = new Set<WeftPlugin['module']>();

  for (const slot of SLOTS) {
    const ref = config.plugins[slot];
    const plugin = options.overrides?.[slot] ?? (ref ? loadPlugin(ref.plugin, config.baseDir) : undefined);
    if (plugin === undefined) continue;
    if (!pluginFills(plugin, slot)) {
      throw new PluginError(
        'PLUGIN_WRONG_SLOT',
        `plugin "${plugin.manifest.name}" was configured for the ${slot} slot but fills only: ${plugin.manifest.slots.join(', ')}`,
        { slot, plugin: plugin.manifest.name, slots: plugin.manifest.slots },
      );
    }
    // One plugin may fill several slots; its module is loaded once.
    if (!loaded.has(plugin.module)) {
      container.load(plugin.module);
      loaded.add(plugin.module);
    }
    plugins[slot] = plugin;
    const token = options.requiredTokens?.[slot];
    if (token !== undefined && !container.isBound(token)) {
      throw new PluginError(
        'PLUGIN_SLOT_UNBOUND',
        `plugin "${plugin.manifest.name}" claims the ${slot} slot but its module does not bind ${token.description ?? String(token)}`,
        { slot, plugin: plugin.manifest.name, token: token.description },
      );
    }
  }
  return { container, plugins };
}
