/**
 * LEIs with correct ISO 17442 check digits (ISO 7064 MOD 97-10): 18 characters, then two digits chosen
 * so that the whole identifier, letters read as 10..35, is 1 modulo 97. Generated records must pass the
 * rulebook with `--lei-check error`; `corruptLeiCheck` makes the deliberate failures.
 */
import type { Random } from './random.js';

function mod97(text: string): number {
  let r = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const v = c <= 57 ? c - 48 : c - 55; // '0'-'9' -> 0-9, 'A'-'Z' -> 10-35
    r = v < 10 ? (r * 10 + v) % 97 : (r * 100 + v) % 97;
  }
  return r;
}

/** The two check digits for an 18-character LEI base. */
export function leiCheckDigits(base18: string): string {
  if (!/^[0-9A-Z]{18}$/.test(base18)) throw new Error(`LEI base "${base18}" is not 18 characters of [0-9A-Z]`);
  return String(98 - mod97(base18 + '00')).padStart(2, '0');
}

export function isValidLei(lei: string): boolean {
  return /^[0-9A-Z]{18}[0-9]{2}$/.test(lei) && mod97(lei) === 1;
}

/** LOU prefixes of real registrars (the first four characters), for realistic-looking identifiers. */
const LOU_PREFIXES = ['5493', '2138', '5299', '9695', '7245', '8156', '3912', '6354', '9845', '2594'];

/** A fresh valid LEI: prefix + "00" + 12 random characters + check digits. */
export function randomLei(r: Random): string {
  const base = r.pick(LOU_PREFIXES) + '00' + r.alnum(12);
  return base + leiCheckDigits(base);
}

/** The same LEI with wrong check digits. */
export function corruptLeiCheck(lei: string): string {
  const base = lei.slice(0, 18);
  const good = Number(lei.slice(18));
  return base + String((good + 1 + (good % 7)) % 100).padStart(2, '0');
}
