import { z } from 'zod';
import { type ContainerModule } from '../di';
import { PluginError } from '../errors';
import { SLOTS, type Slot } from './slots';
import { formatZodIssues } from './zod-issues';

/** What a plugin declares about itself: its name, version and the slots it fills. */
export const PluginManifest = z.object({
  name: z.string().regex(/^[a-z0-9@][a-z0-9@/._-]*$/, 'expected a lowercase package-style name'),
  version: z.string().min(1),
  slots: z.array(z.enum(SLOTS)).min(1, 'a plugin must fill at least one slot'),
  description: z.string().optional(),
});
export type PluginManifest = z.infer<typeof PluginManifest>;

/**
 * The shape every plugin module exports (stock or custom): a manifest and one inversify
 * `ContainerModule` that binds the plugin's implementations to the core tokens of its slots.
 */
export interface WeftPlugin {
  readonly manifest: PluginManifest;
  readonly module: ContainerModule;
}

/**
 * Checks that a loaded JS module has the plugin shape: `export const plugin: WeftPlugin` (the
 * convention of stock plugins) or a default export of the same object. (`module` cannot be a
 * top-level export name in CommonJS, hence the wrapping object.)
 */
export function asWeftPlugin(loaded: unknown, source: string): WeftPlugin {
  const candidate = pickPluginObject(loaded);
  if (candidate === undefined) {
    throw new PluginError(
      'PLUGIN_BAD_EXPORTS',
      `${source} does not export a Weft plugin: expected \`export const plugin = { manifest, module }\` (or a default export of that shape) where module is a ContainerModule from weft's core/di`,
      { source },
    );
  }
  const parsed = PluginManifest.safeParse(candidate.manifest);
  if (!parsed.success) {
    throw new PluginError('PLUGIN_BAD_MANIFEST', formatZodIssues(`the manifest of ${source}`, parsed.error.issues), {
      source,
    });
  }
  return { manifest: parsed.data, module: candidate.module as ContainerModule };
}

function pickPluginObject(loaded: unknown): { manifest: unknown; module: unknown } | undefined {
  const exports = loaded as { default?: unknown; plugin?: unknown } | undefined;
  for (const value of [exports?.plugin, exports?.default, loaded]) {
    if (typeof value === 'object' && value !== null && 'manifest' in value && 'module' in value) {
      const { manifest, module } = value as { manifest: unknown; module: unknown };
      if (isContainerModule(module)) return { manifest, module };
    }
  }
  return undefined;
}

function isContainerModule(value: unknown): boolean {
  // Checked by shape, not instanceof: a plugin installed as its own npm package may resolve a
  // different copy of inversify, and the container only needs the module's `id` and `load`.
  return typeof value === 'object' && value !== null && 'id' in value && 'load' in value;
}

export function pluginFills(plugin: WeftPlugin, slot: Slot): boolean {
  return plugin.manifest.slots.includes(slot);
}
