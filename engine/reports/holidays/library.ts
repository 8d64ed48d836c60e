/**
 * The date-holidays library (npm date-holidays, pinned in package.json), loaded on first use.
 *
 * Why lazily, and through `process.getBuiltinModule` rather than an import: loading it costs about 0.4 s (its
 * data covers every country, its lunar calendars are astronomical code), and this module is reachable from every
 * rules worker and from the console's browser bundle (ui/build-web.mjs) through the KTFC calendar. A process that
 * never needs the library (the Korean lunar dates to 2050 are data: korean-lunar.ts) does not load it, and the
 * browser bundle contains neither the library nor a Node built-in. The CommonJS build is loaded with `require`,
 * which is synchronous, so a holiday look-up stays a plain function call.
 */
import type Holidays from 'date-holidays';
import { HolidayLibraryUnavailableError } from './holiday.js';

export type HolidaysLibrary = typeof Holidays;

let library: HolidaysLibrary | undefined;

export function holidaysLibrary(): HolidaysLibrary {
  if (!library) {
    // Typed here, not through @types/node: the browser bundle's type check has no Node types.
    const host = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
    const nodeModule = host?.getBuiltinModule?.('node:module') as { createRequire(from: string): (id: string) => unknown } | undefined;
    if (!nodeModule) throw new HolidayLibraryUnavailableError();
    library = nodeModule.createRequire(import.meta.url)('date-holidays') as HolidaysLibrary;
  }
  return library;
}
