import { readdirSync, readFileSync } from "node:fs";

/** CPU seconds and resident memory of one process, from /proc. */
interface Reading {
  readonly cpuSeconds: number;
  readonly rssBytes: number;
}

export interface ProcessUsage {
  readonly name: string;
  readonly pid: number;
  /** Average share of one core over the window, in percent. */
  readonly cpuPercent: number;
  /** Highest share of one core in any one sample interval. */
  readonly cpuPercentMax: number;
  readonly rssMaxBytes: number;
  /** CPU time of all its threads over the window, and the window's length: messages per CPU second from these. */
  readonly cpuSeconds: number;
  readonly seconds: number;
}

const TICKS_PER_SECOND = 100;
const PAGE_BYTES = 4096;

function read(pid: number): Reading | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name may hold spaces and parentheses: fields count from the last ')'.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    const rssPages = Number(fields[21]);
    return { cpuSeconds: (utime + stime) / TICKS_PER_SECOND, rssBytes: rssPages * PAGE_BYTES };
  } catch {
    return undefined;
  }
}

/** User and system CPU seconds of a process (all its threads) so far; NaN once it is gone. */
export function cpuSecondsOf(pid: number | undefined): number {
  return (pid === undefined ? undefined : read(pid))?.cpuSeconds ?? Number.NaN;
}

function parentOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
  } catch {
    return undefined;
  }
}

/** Every process below `root` (children, grandchildren...), with a readable name. */
export function descendants(root: number): Array<{ pid: number; name: string }> {
  const parent = new Map<number, number>();
  for (const entry of readdirSync("/proc")) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    const ppid = parentOf(pid);
    if (ppid !== undefined) parent.set(pid, ppid);
  }
  const below = (pid: number): boolean => {
    for (let p = parent.get(pid); p !== undefined && p > 1; p = parent.get(p)) if (p === root) return true;
    return false;
  };
  return [...parent.keys()].filter(below).map((pid) => ({ pid, name: nameOf(pid) }));
}

function nameOf(pid: number): string {
  try {
    const command = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
    const joined = command.join(" ");
    const service = /services\/([a-z-]+)\/src\/main\.ts/.exec(joined);
    if (service?.[1]) return service[1];
    if (joined.includes("load-process.ts")) return "load-generator";
    if (/node-red/.test(joined)) return "node-red";
    if (/mosquitto/.test(command[0] ?? "")) return "mosquitto";
    if (/influxd/.test(command[0] ?? "")) return "influxd";
    if (/mockbroker/.test(joined)) return "kafka-mock";
    return (command[0] ?? String(pid)).split("/").at(-1) ?? String(pid);
  } catch {
    return String(pid);
  }
}

/**
 * Samples the CPU time and RSS of every process below this one once a second,
 * including this one (the measuring process, which also runs the InfluxDB front).
 */
export class UsageSampler {
  readonly #first = new Map<number, { name: string; at: number; reading: Reading }>();
  readonly #last = new Map<number, { at: number; reading: Reading }>();
  readonly #peak = new Map<number, { cpu: number; rss: number }>();
  #timer: NodeJS.Timeout | undefined;
  #machineFirst: { at: number; busySeconds: number } | undefined;
  #machineLast: { at: number; busySeconds: number } | undefined;

  start(intervalMs = 1_000): void {
    this.#sample();
    this.#timer = setInterval(() => this.#sample(), intervalMs);
  }

  /** The whole machine over the window: every core busy = 100 × cores. */
  machineCpuPercent(): number {
    const last = this.#machineLast;
    const first = this.#machineFirst;
    if (!first || !last || last.at === first.at) return 0;
    return round1((100 * (last.busySeconds - first.busySeconds)) / ((last.at - first.at) / 1000));
  }

  stop(): ProcessUsage[] {
    if (this.#timer) clearInterval(this.#timer);
    this.#sample();
    const usage: ProcessUsage[] = [];
    for (const [pid, first] of this.#first) {
      const last = this.#last.get(pid);
      if (!last || last.at === first.at) continue;
      const peak = this.#peak.get(pid) ?? { cpu: 0, rss: 0 };
      const cpuSeconds = last.reading.cpuSeconds - first.reading.cpuSeconds;
      const seconds = (last.at - first.at) / 1000;
      usage.push({
        name: first.name,
        pid,
        cpuPercent: round1((100 * cpuSeconds) / seconds),
        cpuPercentMax: round1(peak.cpu),
        rssMaxBytes: peak.rss,
        cpuSeconds: Math.round(cpuSeconds * 100) / 100,
        seconds: Math.round(seconds * 100) / 100,
      });
    }
    return usage.sort((a, b) => a.name.localeCompare(b.name));
  }

  #sample(): void {
    const now = performance.now();
    const busySeconds = machineBusySeconds();
    this.#machineFirst ??= { at: now, busySeconds };
    this.#machineLast = { at: now, busySeconds };
    const processes = [{ pid: process.pid, name: "harness" }, ...descendants(process.pid)];
    for (const { pid, name } of processes) {
      if (name === "ps" || name === "sh") continue;
      const reading = read(pid);
      if (!reading) continue;
      if (!this.#first.has(pid)) this.#first.set(pid, { name, at: now, reading });
      const previous = this.#last.get(pid);
      const peak = this.#peak.get(pid) ?? { cpu: 0, rss: 0 };
      if (previous && now > previous.at) {
        const cpu = (100 * (reading.cpuSeconds - previous.reading.cpuSeconds)) / ((now - previous.at) / 1000);
        peak.cpu = Math.max(peak.cpu, cpu);
      }
      peak.rss = Math.max(peak.rss, reading.rssBytes);
      this.#peak.set(pid, peak);
      this.#last.set(pid, { at: now, reading });
    }
  }
}

/** CPU time of all cores spent on anything but idle and I/O wait, from /proc/stat. */
function machineBusySeconds(): number {
  const [, user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] =
    readFileSync("/proc/stat", "utf8").split("\n", 1)[0]?.split(/\s+/).map(Number) ?? [];
  return (user + nice + system + irq + softirq + steal) / TICKS_PER_SECOND;
}

function round1(n: number): number {
  return Math.round(n * 10) / 10;
}
