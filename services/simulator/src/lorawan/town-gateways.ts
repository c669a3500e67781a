/** The LoRaWAN gateways on Musterstadt's rooftops. */
export interface Gateway {
  readonly id: string;
  /** EUI-64, upper-case hex. */
  readonly eui: string;
  readonly lat: number;
  readonly lon: number;
}

export const TOWN_GATEWAYS: readonly Gateway[] = [
  { id: "musterstadt-rathaus", eui: "B827EBFFFE6C1A01", lat: 51.0502, lon: 13.7395 },
  { id: "musterstadt-wasserturm", eui: "B827EBFFFE6C1A02", lat: 51.0661, lon: 13.7544 },
  { id: "musterstadt-hochschule", eui: "B827EBFFFE6C1A03", lat: 51.0282, lon: 13.7263 },
  { id: "musterstadt-klaerwerk", eui: "B827EBFFFE6C1A04", lat: 51.0587, lon: 13.7015 },
];

/** EU868's eight default uplink channels, Hz. */
export const EU868_CHANNELS = [
  868_100_000, 868_300_000, 868_500_000, 867_100_000, 867_300_000, 867_500_000, 867_700_000, 867_900_000,
];
