import type { z } from 'zod';

/**
 * Renders zod issues as one line each: the dotted path into the document, then what was expected
 * and what came. `where` names the document (a file path or "plugin manifest").
 */
export function formatZodIssues(where: string, issues: readonly z.core.$ZodIssue[]): string {
  const lines = issues.map((issue) => {
    const path = issue.path.length > 0 ? issue.path.map(String).join('.') : '(root)';
    return `  ${path}: ${issue.message}`;
  });
  return `${where} is not valid:\n${lines.join('\n')}`;
}
