import type { StepResult } from "./run.ts";

const COLOURS: Record<string, string> = {
  stadtfluss: "#1f6feb",
  "stadtfluss-baseline": "#8b949e",
  "node-red": "#cf222e",
};

interface Series {
  readonly label: string;
  readonly colour: string;
  readonly dashed: boolean;
  readonly points: ReadonlyArray<{ x: number; y: number; failed: boolean }>;
}

/**
 * Offered rate against p99 latency (left) and loss (right), one line per
 * candidate and Mosquitto setting; hollow markers are steps that lost or lagged.
 * Plain SVG, so that GitHub renders it in docs/performance.md.
 */
export function rateChart(steps: readonly StepResult[]): string {
  const groups = new Map<string, StepResult[]>();
  for (const step of steps) {
    const key = `${step.candidate} · ${step.setting} queue`;
    groups.set(key, [...(groups.get(key) ?? []), step]);
  }
  const series = (y: (s: StepResult) => number): Series[] =>
    [...groups.entries()].map(([label, list]) => ({
      label,
      colour: COLOURS[list[0]?.candidate ?? ""] ?? "#000",
      dashed: list[0]?.setting === "raised",
      points: list
        .sort((a, b) => a.offeredRate - b.offeredRate)
        .map((s) => ({ x: s.offeredRate, y: y(s), failed: !(s.lossless && s.bounded) })),
    }));
  const latency = series((s) => (s.latencyMs.p99 ?? 0) / 1000);
  const loss = series((s) => (100 * s.lost) / Math.max(1, s.sent));
  const maxX = Math.max(1, ...steps.map((s) => s.offeredRate));
  const width = 960;
  const height = 420;
  const legend = [...groups.keys()].length * 18 + 10;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height + legend}" viewBox="0 0 ${width} ${height + legend}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    panel(latency, { x: 60, y: 30, w: 380, h: 320, maxX, title: "p99 publish → queryable (s)" }),
    panel(loss, { x: 550, y: 30, w: 380, h: 320, maxX, title: "lost (% of published)" }),
  ];
  [...groups.keys()].forEach((label, i) => {
    const s = latency[i];
    if (!s) return;
    const y = height + 10 + i * 18;
    parts.push(
      `<line x1="60" y1="${y}" x2="90" y2="${y}" stroke="${s.colour}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ""}/>`,
      `<text x="98" y="${y + 4}">${escapeXml(label)}</text>`,
    );
  });
  parts.push(
    `<text x="${width - 10}" y="${height + legend - 6}" text-anchor="end" fill="#57606a">offered rate (msg/s); hollow: lost messages or unbounded lag</text>`,
    "</svg>",
  );
  return `${parts.join("\n")}\n`;
}

function panel(
  series: readonly Series[],
  box: { x: number; y: number; w: number; h: number; maxX: number; title: string },
): string {
  const maxY = niceCeiling(Math.max(0.001, ...series.flatMap((s) => s.points.map((p) => p.y))));
  const px = (x: number) => box.x + (x / box.maxX) * box.w;
  const py = (y: number) => box.y + box.h - (y / maxY) * box.h;
  const out = [
    `<text x="${box.x}" y="${box.y - 10}" font-weight="bold">${escapeXml(box.title)}</text>`,
    `<rect x="${box.x}" y="${box.y}" width="${box.w}" height="${box.h}" fill="none" stroke="#d0d7de"/>`,
  ];
  for (let i = 0; i <= 4; i++) {
    const y = (maxY * i) / 4;
    const x = (box.maxX * i) / 4;
    out.push(
      `<line x1="${box.x}" y1="${py(y)}" x2="${box.x + box.w}" y2="${py(y)}" stroke="#eaeef2"/>`,
      `<text x="${box.x - 6}" y="${py(y) + 4}" text-anchor="end">${format(y)}</text>`,
      `<text x="${px(x)}" y="${box.y + box.h + 16}" text-anchor="middle">${Math.round(x).toLocaleString("en")}</text>`,
    );
  }
  for (const s of series) {
    const d = s.points.map((p, i) => `${i === 0 ? "M" : "L"}${px(p.x).toFixed(1)},${py(p.y).toFixed(1)}`).join(" ");
    out.push(
      `<path d="${d}" fill="none" stroke="${s.colour}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ""}/>`,
    );
    for (const p of s.points) {
      out.push(
        `<circle cx="${px(p.x).toFixed(1)}" cy="${py(p.y).toFixed(1)}" r="4" fill="${p.failed ? "#ffffff" : s.colour}" stroke="${s.colour}" stroke-width="2"/>`,
      );
    }
  }
  return out.join("\n");
}

/** Behind (messages not yet queryable) over time in the burst, one line per candidate and setting. */
export function burstChart(bursts: readonly StepResult[]): string {
  const width = 960;
  const height = 300;
  const box = { x: 70, y: 30, w: 860, h: 220 };
  const maxT = Math.max(1, ...bursts.flatMap((b) => b.timeline.map((t) => t.t)));
  const maxY = niceCeiling(Math.max(1, ...bursts.flatMap((b) => b.timeline.map((t) => t.behindMessages))));
  const px = (t: number) => box.x + (t / maxT) * box.w;
  const py = (y: number) => box.y + box.h - (y / maxY) * box.h;
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height + bursts.length * 18}" viewBox="0 0 ${width} ${height + bursts.length * 18}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="${box.x}" y="${box.y - 10}" font-weight="bold">Burst: messages published but not yet queryable</text>`,
    `<rect x="${box.x}" y="${box.y}" width="${box.w}" height="${box.h}" fill="none" stroke="#d0d7de"/>`,
  ];
  for (let i = 0; i <= 4; i++) {
    out.push(
      `<text x="${box.x - 6}" y="${py((maxY * i) / 4) + 4}" text-anchor="end">${Math.round((maxY * i) / 4).toLocaleString("en")}</text>`,
      `<text x="${px((maxT * i) / 4)}" y="${box.y + box.h + 16}" text-anchor="middle">${Math.round((maxT * i) / 4)} s</text>`,
    );
  }
  bursts.forEach((b, i) => {
    const colour = COLOURS[b.candidate] ?? "#000";
    const dashed = b.setting === "raised" ? ' stroke-dasharray="6 4"' : "";
    // Samples finish in the order their metric scrapes return: plot them in time order.
    const timeline = [...b.timeline].sort((x, y) => x.t - y.t);
    const d = timeline.map((t, j) => `${j === 0 ? "M" : "L"}${px(t.t).toFixed(1)},${py(t.behindMessages).toFixed(1)}`);
    out.push(`<path d="${d.join(" ")}" fill="none" stroke="${colour}" stroke-width="2"${dashed}/>`);
    const y = height + i * 18;
    out.push(
      `<line x1="70" y1="${y}" x2="100" y2="${y}" stroke="${colour}" stroke-width="2"${dashed}/>`,
      `<text x="108" y="${y + 4}">${escapeXml(`${b.candidate} · ${b.setting} queue: ${b.phases[0]?.rate ?? "?"} msg/s for ${Math.round(((b.phases[0]?.endedAt ?? 0) - (b.phases[0]?.startedAt ?? 0)) / 1000)} s, then ${b.phases[1]?.rate ?? "?"} msg/s; lost ${b.lost}`)}</text>`,
    );
  });
  out.push("</svg>");
  return `${out.join("\n")}\n`;
}

function niceCeiling(n: number): number {
  const magnitude = 10 ** Math.floor(Math.log10(n));
  for (const step of [1, 2, 2.5, 5, 10]) if (step * magnitude >= n) return step * magnitude;
  return 10 * magnitude;
}

function format(n: number): string {
  return n >= 10 ? String(Math.round(n)) : n.toFixed(n >= 1 ? 1 : 2);
}

function escapeXml(text: string): string {
  return text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");
}
