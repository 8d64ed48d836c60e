/**
 * Strings a peer chose (a Hello's source_id, say) as they may appear in logs and Error frames: quoted,
 * cut to a few dozen characters, and with everything but printable ASCII written as a JSON escape. A raw
 * source_id could otherwise forge log lines (a newline), hide text from an operator's terminal (escape
 * sequences, bidi overrides), or fill the log with megabytes from one Hello.
 */
export const PEER_TEXT_MAX_CHARS = 64;

/** `text` quoted and escaped, cut at `maxChars` code points with how much was left off. */
export function peerText(text: string, maxChars = PEER_TEXT_MAX_CHARS): string {
  const chars = Array.from(text);
  const kept = chars.length > maxChars ? chars.slice(0, maxChars).join('') : text;
  const cut = chars.length > maxChars ? `...(${chars.length - maxChars} more characters)` : '';
  return `"${escapeText(kept)}"${cut}`;
}

/**
 * Escapes control and non-ASCII characters (and `"` and `\`) as JSON does, leaving printable ASCII as it is:
 * what comes out is one line of plain ASCII and reads back with JSON.parse.
 */
export function escapeText(text: string): string {
  return text.replace(/["\\]|[^\x20-\x7e]/g, (c) => {
    switch (c) {
      case '"': return '\\"';
      case '\\': return '\\\\';
      case '\n': return '\\n';
      case '\r': return '\\r';
      case '\t': return '\\t';
      default: return '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0');
    }
  });
}

/** A message for a log line or an Error frame that may carry peer text: one line of printable ASCII, at most `maxChars` long. */
export function oneLine(message: string, maxChars = 1024): string {
  const escaped = message.replace(/[^\x20-\x7e]/g, (c) => escapeText(c));
  return escaped.length > maxChars ? escaped.slice(0, maxChars) + '...' : escaped;
}
