/**
 * Names project files in chaincode stack traces. V8 names every frame after the one script the
 * runtime compiled (`chaincode:<package ID>:61717:19`); the package's source map turns that into
 * the file the developer wrote (`lib/asset.js:42:11`), as a Fabric chaincode process would print it.
 */
import { originalPositionFor, TraceMap } from '@jridgewell/trace-mapping';

export class StackSourceMap {
  /** Null once the map failed to parse: a package's bytes are not trusted, and logging never fails. */
  private traceMap: TraceMap | null | undefined;
  private readonly frame: RegExp;

  constructor(
    private readonly sourceMap: string,
    scriptName: string,
  ) {
    this.frame = new RegExp(`${scriptName.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:(\\d+):(\\d+)`, 'g');
  }

  /** `text` with every position in the script replaced by the source file, line and column it came from. */
  rewrite(text: string): string {
    return text.replace(this.frame, (whole, line: string, column: string) => {
      const map = this.map();
      if (map === null) return whole;
      const at = originalPositionFor(map, { line: Number(line), column: Math.max(0, Number(column) - 1) });
      return at.source === null || at.line === null ? whole : `${at.source}:${at.line}:${at.column + 1}`;
    });
  }

  /**
   * Where an error's stack says it was thrown, in the project's own files when a frame is there
   * (not Weft's sandbox or an npm dependency), else the first frame that maps; undefined when none does.
   */
  origin(stack: string): string | undefined {
    const frames = [...stack.matchAll(this.frame)].map((m) => this.rewrite(m[0])).filter((f) => !f.startsWith('chaincode:'));
    return frames.find((f) => !f.startsWith('weft/') && !f.includes('node_modules/') && !/^[\w-]+:/.test(f)) ?? frames[0];
  }

  /** Parsed on the first stack that needs it: most chaincode never logs one. */
  private map(): TraceMap | null {
    if (this.traceMap === undefined) {
      try {
        this.traceMap = new TraceMap(this.sourceMap);
      } catch {
        this.traceMap = null;
      }
    }
    return this.traceMap;
  }
}
