/**
 * Characters of untrusted input (a payload's kind, a codec's error, an MQTT
 * topic) that a reason or a log line quotes: enough to recognise it, and the
 * same everywhere.
 */
export const EXCERPT_CHARS = 200;

/**
 * Characters of a whole reason in a dead-letter header or a log line. A reason
 * may quote several excerpts; this bounds what no single quote site foresaw.
 */
export const REASON_CHARS = 1_000;

/**
 * `text` as a reason or a log line may quote it: at most `maxChars` characters,
 * and where it was cut, how long it was (`…[cut, 200000 chars]`), so that a
 * reader knows the quote is not the whole input.
 */
export function excerpt(text: string, maxChars = EXCERPT_CHARS): string {
  if (text.length <= maxChars) return text;
  // Never split a surrogate pair: half a character is not valid UTF-8 in a header.
  const last = text.charCodeAt(maxChars - 1);
  const end = last >= 0xd800 && last <= 0xdbff ? maxChars - 1 : maxChars;
  return `${text.slice(0, end)}…[cut, ${text.length} chars]`;
}
