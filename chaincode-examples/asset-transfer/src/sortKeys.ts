/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Deterministic JSON: keys sorted recursively (what the sample gets from sort-keys-recursive +
 * json-stringify-deterministic), so every endorser writes the same bytes.
 */

export function sortKeysRecursive(value: any): any {
    if (Array.isArray(value)) {
        return value.map(sortKeysRecursive);
    }
    if (value !== null && typeof value === 'object') {
        const out: Record<string, any> = {};
        for (const key of Object.keys(value).sort()) {
            out[key] = sortKeysRecursive(value[key]);
        }
        return out;
    }
    return value;
}

export function stringify(value: any): string {
    return JSON.stringify(sortKeysRecursive(value));
}
