/**
 * The grid's frequency, the same at every meter of the town at one instant:
 * 50 Hz with the slow swings of the interconnected grid (a few tens of mHz,
 * minutes long), so that meters that send it agree with each other.
 */
export function gridFrequency(at: Date): number {
  const minutes = at.getTime() / 60_000;
  const hz = 50 + 0.03 * Math.sin((2 * Math.PI * minutes) / 17) + 0.015 * Math.sin((2 * Math.PI * minutes) / 3.1);
  return Math.round(hz * 100) / 100;
}
