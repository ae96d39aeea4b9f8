/** The one tr46 function the sandbox's `url.domainToUnicode` calls (tr46 ships no types). */
declare module 'tr46' {
  export function toUnicode(domain: string, options?: { checkBidi?: boolean; checkJoiners?: boolean }): { domain: string; error: boolean };
}
