import { Container } from '../di';
import { PluginError } from '../errors';
import { pluginFills } from './plugin';
import { loadPlugin } from './plugin-loader';
import type { Slot } from './slots';

/**
 * One service of a slot's plugin, outside a node: for tools (the CLI's `network init`, client
 * identities) that need, say, the MSP plugin's crypto material generator without running a node.
 * The plugin is resolved by name exactly as a node config names it, so tools never import plugins.
 */
export function slotService<T>(slot: Slot, pluginRef: string, token: symbol, baseDir: string = process.cwd()): T {
  const plugin = loadPlugin(pluginRef, baseDir);
  if (!pluginFills(plugin, slot)) {
    throw new PluginError('PLUGIN_WRONG_SLOT', `plugin "${plugin.manifest.name}" does not fill the ${slot} slot (it fills: ${plugin.manifest.slots.join(', ')})`, {
      slot,
      plugin: plugin.manifest.name,
    });
  }
  const container = new Container({ defaultScope: 'Singleton' });
  container.load(plugin.module);
  if (!container.isBound(token)) {
    throw new PluginError('PLUGIN_SLOT_UNBOUND', `plugin "${plugin.manifest.name}" does not provide ${token.description ?? String(token)}`, {
      slot,
      plugin: plugin.manifest.name,
      token: token.description,
    });
  }
  return container.get<T>(token);
}
