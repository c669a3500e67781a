/** The topics of the pipeline; the prefix lets several cities share one cluster. */
export interface Topics {
  /** MQTT messages exactly as received, keyed by device. */
  readonly raw: string;
  /** Observation v1 JSON, keyed by device. */
  readonly observations: string;
  /** Whatever a stage could not process, with `__connect.errors.*` headers. */
  readonly deadLetter: string;
  /** Records of devices not (yet) in the registry, with the same headers, to replay once registered. */
  readonly quarantine: string;
}

export function topicsFor(prefix: string): Topics {
  return {
    raw: `${prefix}raw.v1`,
    observations: `${prefix}observations.v1`,
    deadLetter: `${prefix}dead-letter.v1`,
    quarantine: `${prefix}quarantine.v1`,
  };
}
