/**
 * CRC-16/ARC (polynomial 0x8005 reflected as 0xA001, initial value 0, no final
 * XOR): the checksum DSMR 5 puts after the `!` of a P1 telegram.
 */
const TABLE = Uint16Array.from({ length: 256 }, (_, byte) => {
  let crc = byte;
  for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ 0xa001 : crc >>> 1;
  return crc;
});

export function crc16Arc(data: Uint8Array): number {
  let crc = 0;
  for (const byte of data) crc = (crc >>> 8) ^ (TABLE[(crc ^ byte) & 0xff] ?? 0);
  return crc;
}
