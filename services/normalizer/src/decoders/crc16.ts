/**
 * CRC-16/ARC (polynomial 0x8005, reflected as 0xA001, initial value 0, no final
 * XOR): the checksum DSMR 4 and later put after a P1 telegram's `!`, computed
 * over every byte from the leading `/` up to and including the `!`.
 */
export function crc16Arc(bytes: Uint8Array): number {
  let crc = 0;
  for (const byte of bytes) {
    crc ^= byte;
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ 0xa001 : crc >>> 1;
  }
  return crc;
}
