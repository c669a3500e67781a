/** mulberry32: a small seeded generator, so that a run can be repeated exactly. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A generator seeded by a name, so that a device's fixed traits do not depend on the run's seed. */
export function namedRandom(name: string): () => number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) hash = Math.imul(hash ^ name.charCodeAt(i), 0x01000193);
  return seededRandom(hash);
}

/** A uniform value in [min, max). */
export function between(random: () => number, min: number, max: number): number {
  return min + (max - min) * random();
}

/** Standard normal (Box-Muller), for noise that is mostly small and sometimes not. */
export function normal(random: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

export function randomBytes(random: () => number, length: number): Uint8Array {
  return Uint8Array.from({ length }, () => Math.floor(random() * 256));
}

export function randomHex(random: () => number, bytes: number): string {
  return Buffer.from(randomBytes(random, bytes)).toString("hex");
}

/** An RFC 9562 version 4 UUID from the seeded generator. */
export function randomUuid(random: () => number): string {
  const bytes = randomBytes(random, 16);
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x40;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = Buffer.from(bytes).toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/** A ULID (48-bit time, 80 random bits, Crockford base32), as The Things Stack's correlation ids. */
export function randomUlid(random: () => number, at: Date): string {
  let time = at.getTime();
  let text = "";
  for (let i = 0; i < 10; i++) {
    text = (CROCKFORD[time % 32] ?? "0") + text;
    time = Math.floor(time / 32);
  }
  for (let i = 0; i < 16; i++) text += CROCKFORD[Math.floor(random() * 32)] ?? "0";
  return text;
}
