import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { SwapReport } from '../../../proto/gen/swap_report.js';
import { parseJsonLossless, reportFromJson } from '../../record/json.js';

/**
 * Every `*.json` record under `dir` (recursively, in name order), decoded into the canonical record: the
 * corpus layout, one record per file. For small reference sets (tests, samplers, benchmarks); large
 * inputs go through the streaming readers beside this file. A record that does not decode throws, naming
 * the file and the fields, unless `skipInvalid` is set.
 */
export function loadJsonRecords(dir: string, options: { skipInvalid?: boolean } = {}): SwapReport[] {
  if (!existsSync(dir)) throw new Error(`directory ${dir} not found`);
  const out: SwapReport[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name.endsWith('.json')) {
        const decoded = reportFromJson(parseJsonLossless(readFileSync(p, 'utf8')));
        if (decoded.ok) out.push(decoded.report);
        else if (!options.skipInvalid) throw new Error(`${p}: ${decoded.issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`);
      }
    }
  };
  walk(dir);
  return out;
}
