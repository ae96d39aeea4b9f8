import { Command, Errors, Flags } from '@oclif/core';
import { WeftError } from '../core/errors';

/**
 * What every `weft` command shares: `--json` (oclif prints the command's return value as JSON)
 * and `--verbose`, one progress channel (a line per step on stderr), and one error path that
 * turns any failure into a message with suggestions and a non-zero exit, never a stack trace
 * unless `--verbose` asks for it.
 */
export abstract class WeftCommand extends Command {
  static override enableJsonFlag = true;

  static override baseFlags = {
    verbose: Flags.boolean({ description: 'print stack traces and debug details on failure', default: false }),
  };

  /** A command that streams JSON Lines under `--json` (one object per line as it comes): its error is one line too. */
  static jsonLines = false;

  private started = Date.now();

  /** A warning on stderr: something worked, but not quite as asked. */
  protected warning(message: string): void {
    process.stderr.write(`warning: ${message}\n`);
  }

  /** One progress line on stderr (stdout stays clean for `--json` and piping). */
  protected progress(message: string): void {
    const seconds = ((Date.now() - this.started) / 1000).toFixed(1);
    process.stderr.write(`[${seconds.padStart(5)}s] ${message}\n`);
  }

  protected override async catch(err: Error & { exitCode?: number; oclif?: { exit?: number } }): Promise<unknown> {
    if (err instanceof Errors.ExitError) throw err;
    const verbose = this.argv.includes('--verbose');
    // oclif's own parse errors (unknown flag, missing arg) already carry their remedy.
    if (err.oclif !== undefined && !(err instanceof WeftError)) {
      if (verbose && err.stack) this.logToStderr(err.stack);
      throw err;
    }
    const suggestions = suggestionsFor(err);
    const exit = typeof err.exitCode === 'number' && err.exitCode > 0 ? err.exitCode : 1;
    if (this.jsonEnabled()) {
      const failure = { error: err instanceof WeftError ? err.toJSON() : { name: err.name, message: err.message }, suggestions };
      if ((this.constructor as typeof WeftCommand).jsonLines) process.stdout.write(`${JSON.stringify(failure)}\n`);
      else this.logJson(failure);
      this.exit(exit);
    }
    if (verbose && err.stack) this.logToStderr(err.stack);
    const code = err instanceof WeftError ? err.code : undefined;
    this.error(err.message, { exit, suggestions: suggestions ?? defaultSuggestions(err), code });
  }
}

/** Remedies attached to a WeftError's details (`suggestions: string[]`), if any. */
function suggestionsFor(err: Error): string[] | undefined {
  if (!(err instanceof WeftError)) return undefined;
  const suggestions = err.details.suggestions;
  return Array.isArray(suggestions) && suggestions.every((s) => typeof s === 'string') ? (suggestions as string[]) : undefined;
}

/** A generic next step for errors that came without one. */
function defaultSuggestions(err: Error): string[] {
  const code = (err as { code?: unknown }).code;
  if (code === 'ECONNREFUSED' || code === 14) return ['is the network up? start it with: weft network up <dir>', 'check it with: weft network status <dir>'];
  return ['run the command again with --verbose for details', 'see the command help with --help'];
}
