// Written for Stadtfluss's tests: a codec that searches the frame for an end
// marker (0xFF) that this frame does not hold, wrapping around for ever.
function decodeUplink(input) {
  var end = 0;
  while (input.bytes[end] !== 0xff) {
    end = (end + 1) % input.bytes.length;
  }
  return { data: { length: end } };
}
