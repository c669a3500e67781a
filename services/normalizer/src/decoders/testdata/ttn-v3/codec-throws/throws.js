// Written for Stadtfluss's tests: a codec with the bug of treating input.bytes
// (a plain array) as a Node Buffer, so every call throws a TypeError.
function decodeUplink(input) {
  return {
    data: {
      battery: input.bytes[2],
      temperature: input.bytes.readInt16LE(5) / 10,
    },
  };
}
