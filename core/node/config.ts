import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ConfigError } from '../errors';
import { applyConfigEnv } from './config-env';
import { logSpecProblem } from './log-spec';
import { type Slot } from './slots';
import { formatZodIssues } from './zod-issues';

/**
 * Which plugin fills a slot, and its options. `plugin` is a stock plugin name (`ledger-sqlite`),
 * a path (`./my-ledger`, relative to the config file) or an npm package name.
 */
export const PluginRef = z.object({
  plugin: z.string().min(1),
  options: z.record(z.string(), z.unknown()).default({}),
});
export type PluginRef = z.infer<typeof PluginRef>;

/**
 * A Fabric logging spec (`FABRIC_LOGGING_SPEC`): one level (`info`) or levels per logger
 * (`warn:committer,peer.blocksprovider=debug`); see {@link LogSpec}.
 */
export const LogSpecText = z
  .string()
  .max(4096)
  .superRefine((spec, ctx) => {
    const problem = logSpecProblem(spec);
    if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
  });

/** The parts of a node's YAML config that core itself reads; node kinds add their own sections. */
export const NodeConfig = z
  .object({
    /** A stable name for this node, e.g. `peer0.org1.example.com`. */
    id: z.string().min(1),
    kind: z.enum(['peer', 'orderer']),
    /** Where the node keeps ledgers, packages and state; relative paths are resolved against the config file. */
    dataDir: z.string().min(1),
    msp: z.object({ id: z.string().min(1), dir: z.string().min(1) }),
    /** The node's logging spec; `FABRIC_LOGGING_SPEC` or `WEFT_LOGLEVEL` in the environment overrides it. */
    logLevel: LogSpecText.default('warn'),
    plugins: z
      .object({
        ledger: PluginRef.optional(),
        ordering: PluginRef.optional(),
        msp: PluginRef.default({ plugin: 'msp-x509', options: {} }),
        policy: PluginRef.default({ plugin: 'policy-fabric', options: {} }),
        runtime: PluginRef.optional(),
      })
      .strict(),
  })
  .passthrough();
export type NodeConfig = z.infer<typeof NodeConfig> & {
  /** Directory of the file the config came from: plugin paths and relative dirs resolve against it. */
  readonly baseDir: string;
  /** Config keys (dotted paths) that `WEFT_*` environment variables overrode, for the start log. */
  readonly overriddenFromEnv?: readonly string[];
};
export const NodeConfigToken = Symbol('NodeConfig');

/** Validates an already-parsed config object. `where` names its origin in error messages. */
export function parseNodeConfig(raw: unknown, baseDir: string, where = 'node config'): NodeConfig {
  const parsed = NodeConfig.safeParse(raw);
  if (!parsed.success) {
    throw new ConfigError('CONFIG_INVALID', formatZodIssues(where, parsed.error.issues), {
      where,
      issues: parsed.error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message })),
    });
  }
  const config = parsed.data;
  return {
    ...config,
    dataDir: path.resolve(baseDir, config.dataDir),
    msp: { ...config.msp, dir: path.resolve(baseDir, config.msp.dir) },
    baseDir,
  };
}

/**
 * Reads a node's YAML config file, applies `WEFT_*` environment overrides (see
 * {@link applyConfigEnv}; `section` describes the node kind's own section so its keys can be
 * named) and validates the result.
 */
export function loadNodeConfig(file: string, options: { section?: z.ZodType; env?: Readonly<Record<string, string | undefined>> } = {}): NodeConfig {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError('CONFIG_UNREADABLE', `cannot read node config ${file}: ${(err as Error).message}`, { file }, { cause: err });
  }
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (err) {
    throw new ConfigError('CONFIG_BAD_YAML', `${file} is not valid YAML: ${(err as Error).message}`, { file }, { cause: err });
  }
  const { config, overridden } = applyConfigEnv(raw, options.section === undefined ? [NodeConfig] : [NodeConfig, options.section], options.env ?? process.env);
  const parsed = parseNodeConfig(config, path.dirname(path.resolve(file)), overridden.length === 0 ? file : `${file} (with ${overridden.length} environment override(s))`);
  return overridden.length === 0 ? parsed : { ...parsed, overriddenFromEnv: overridden };
}

/** The options object configured for the plugin in `slot` (empty when the slot is unconfigured). */
export function slotOptions(config: NodeConfig, slot: Slot): Record<string, unknown> {
  return config.plugins[slot]?.options ?? {};
}

/** Reads a PEM file named by the config; the error names the config key. */
export function readConfigFile(file: string, key: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (err) {
    throw new ConfigError('CONFIG_FILE_UNREADABLE', `${key}: cannot read ${file}: ${(err as Error).message}`, { path: key, file });
  }
}
