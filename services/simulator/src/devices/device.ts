/** One simulated device: it answers with the payload of its next message. */
export interface SimulatedDevice {
  /**
   * The finest time step its payload can tell apart (1000 for formats that
   * carry seconds): the simulator never sends twice within one step, so no
   * device ever repeats a timestamp.
   */
  readonly resolutionMs: number;
  next(at: Date, random: () => number): string;
  /** True while the device sends nothing (a gap); it is passed over then. */
  silent?(at: Date): boolean;
}
