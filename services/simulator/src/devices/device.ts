/** One simulated device: it answers with the readings of its next message. */
export interface SimulatedDevice {
  readonly id: string;
  next(at: Date, random: () => number): Array<{ kind: string; value: number; unit: string }>;
}
