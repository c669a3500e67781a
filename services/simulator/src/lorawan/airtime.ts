/**
 * Time on air of a LoRa uplink (Semtech AN1200.13): explicit header, CRC on,
 * coding rate 4/5, 8 preamble symbols, low data rate optimisation from SF11 at
 * 125 kHz. The PHY payload is the application payload plus 13 bytes of MAC
 * header, frame header, port and MIC.
 */
export function loraAirtimeSeconds(applicationBytes: number, spreadingFactor: number, bandwidthHz = 125_000): number {
  const phyBytes = applicationBytes + 13;
  const symbol = 2 ** spreadingFactor / bandwidthHz;
  const lowDataRate = spreadingFactor >= 11 && bandwidthHz === 125_000 ? 1 : 0;
  const codingRate = 1;
  const payloadSymbols =
    8 +
    Math.max(
      Math.ceil((8 * phyBytes - 4 * spreadingFactor + 28 + 16) / (4 * (spreadingFactor - 2 * lowDataRate))) *
        (codingRate + 4),
      0,
    );
  return (8 + 4.25 + payloadSymbols) * symbol;
}
