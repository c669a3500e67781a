/**
 * A metric's value in a worker's `/metrics` text (Prometheus exposition format),
 * summed over its label sets; 0 when it has no line yet.
 */
export function metricSum(text: string, name: string): number {
  let sum = 0;
  for (const line of text.split("\n")) {
    if (line.startsWith(`${name} `) || line.startsWith(`${name}{`)) sum += Number(line.split(" ").at(-1)) || 0;
  }
  return sum;
}
