import type { DatasetTheme } from "../datasets/themes.ts";

export type Language = "de" | "en";

export interface PageDataset {
  readonly id: string;
  readonly publisher: string;
  readonly theme: DatasetTheme;
  readonly fields: readonly string[];
  readonly resolutions: readonly string[];
  readonly links: { readonly observations: string; readonly latest: string };
}

const TEXT = {
  de: {
    title: "Offene Daten",
    intro:
      "Zusammengefasste Messwerte der Sensoren der Stadt: stündlich und täglich, je Messstelle und Stadtteil. Keine Einzelmessung und kein Haushalt ist zu erkennen.",
    licence: "Lizenz",
    licenceName: "Datenlizenz Deutschland – Namensnennung – Version 2.0",
    downloads: "Herunterladen (letzte 7 Tage)",
    latest: "Letzte Werte (GeoJSON)",
    chart: "Verlauf der letzten 7 Tage",
    noData: "Keine Werte in den letzten 7 Tagen.",
    catalog: "Katalog (DCAT-AP.de)",
    api: "API-Beschreibung (OpenAPI)",
    other: "English",
    none: "Noch keine Datensätze veröffentlicht.",
  },
  en: {
    title: "Open data",
    intro:
      "Aggregated readings of the city's sensors: hourly and daily, per station and district. No single reading and no household can be told apart.",
    licence: "Licence",
    licenceName: "Data licence Germany – attribution – version 2.0",
    downloads: "Download (last 7 days)",
    latest: "Latest values (GeoJSON)",
    chart: "The last 7 days",
    noData: "No values in the last 7 days.",
    catalog: "Catalog (DCAT-AP.de)",
    api: "API description (OpenAPI)",
    other: "Deutsch",
    none: "No datasets published yet.",
  },
} as const;

/** The field a chart shows: a count's sum, else a mean, else the first figure. */
export function chartField(fields: readonly string[]): string | undefined {
  const figures = fields.filter((f) => f !== "suppressed" && f !== "households");
  return (
    figures.find((f) => f.endsWith("_sum")) ??
    figures.find((f) => f.endsWith("_mean")) ??
    figures.find((f) => f.endsWith("_kwh")) ??
    figures[0]
  );
}

const html = (text: string) =>
  text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;").replaceAll('"', "&quot;");

/**
 * The catalog page: every dataset with its download links and a chart of its
 * last 7 days, in German or English. The list and the links are in the HTML;
 * the charts are drawn in the browser from the JSON endpoint (plain SVG, no
 * library and nothing loaded from elsewhere).
 */
export function catalogPage(language: Language, datasets: readonly PageDataset[], now: number): string {
  const t = TEXT[language];
  const from = new Date(now - 7 * 86_400_000).toISOString();
  const to = new Date(now).toISOString();
  const items = datasets.map((dataset) => {
    const resolution = dataset.resolutions.includes("1h") ? "1h" : (dataset.resolutions[0] ?? "1d");
    const range = `from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}&resolution=${resolution}`;
    const link = (format: string) => `${dataset.links.observations}?${range}&format=${format}`;
    const field = chartField(dataset.fields);
    return `
    <li class="dataset" data-dataset="${html(dataset.id)}">
      <h2>${html(dataset.theme.title[language])} <small>${html(dataset.publisher)}</small></h2>
      <p>${html(dataset.theme.description[language])}</p>
      <p class="downloads">${html(t.downloads)}:
        <a href="${html(link("json"))}" data-format="json" type="application/json">JSON</a> ·
        <a href="${html(link("csv"))}" data-format="csv" type="text/csv" download>CSV</a> ·
        <a href="${html(link("csv"))}&amp;dialect=de" data-format="csv-de" type="text/csv" download>CSV (Excel, de)</a> ·
        <a href="${html(link("geojson"))}" data-format="geojson" type="application/geo+json">GeoJSON</a> ·
        <a href="${html(dataset.links.latest)}?format=geojson" data-format="latest">${html(t.latest)}</a>
      </p>
      ${
        field
          ? `<figure class="chart" data-source="${html(link("json"))}&amp;limit=10000" data-field="${html(field)}">
        <figcaption>${html(t.chart)}: <code>${html(field)}</code></figcaption>
      </figure>`
          : ""
      }
    </li>`;
  });
  return `<!doctype html>
<html lang="${language}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${html(t.title)}</title>
<link rel="alternate" type="text/turtle" href="/catalog.ttl" title="DCAT-AP.de">
<link rel="icon" href="data:,">
<style>
  body { font: 16px/1.5 system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; color: #1d1d1f; }
  ul.datasets { list-style: none; padding: 0; }
  li.dataset { border-top: 1px solid #ccc; padding: 1rem 0; }
  h2 small { font-weight: normal; color: #555; font-size: 0.8em; }
  svg { width: 100%; height: 10rem; background: #f6f6f6; }
  polyline { fill: none; stroke-width: 1.5; }
</style>
</head>
<body>
<header>
  <p><a href="?lang=${language === "de" ? "en" : "de"}" hreflang="${language === "de" ? "en" : "de"}">${html(t.other)}</a></p>
  <h1>${html(t.title)}</h1>
  <p>${html(t.intro)}</p>
  <p>${html(t.licence)}: <a href="https://www.govdata.de/dl-de/by-2-0">${html(t.licenceName)}</a> ·
    <a href="/catalog.ttl">${html(t.catalog)}</a> (<a href="/catalog.jsonld">JSON-LD</a>) ·
    <a href="/openapi.json">${html(t.api)}</a></p>
</header>
<main>
${datasets.length === 0 ? `<p>${html(t.none)}</p>` : `<ul class="datasets">${items.join("")}\n</ul>`}
</main>
<script>
${chartScript(t.noData)}
</script>
</body>
</html>
`;
}

/** Draws each figure's series (a device or district each, at most 8) as SVG lines. */
function chartScript(noData: string): string {
  return `"use strict";
const COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2"];
const SVG = "http://www.w3.org/2000/svg";
for (const figure of document.querySelectorAll("figure.chart")) {
  const field = figure.dataset.field;
  fetch(figure.dataset.source, { headers: { accept: "application/json" } })
    .then((response) => response.json())
    .then((body) => {
      const series = new Map();
      for (const o of body.observations) {
        if (typeof o[field] !== "number") continue;
        const key = o.scope + ":" + (o.device || o.district || "");
        if (!series.has(key) && series.size >= COLOURS.length) continue;
        if (!series.has(key)) series.set(key, []);
        series.get(key).push([Date.parse(o.time), o[field]]);
      }
      const points = [...series.values()].flat();
      if (points.length === 0) {
        figure.append(Object.assign(document.createElement("p"), { textContent: ${JSON.stringify(noData)} }));
        figure.dataset.points = "0";
        return;
      }
      const xs = points.map((p) => p[0]);
      const ys = points.map((p) => p[1]);
      const [x0, x1] = [Math.min(...xs), Math.max(...xs)];
      const [y0, y1] = [Math.min(0, ...ys), Math.max(...ys)];
      const svg = document.createElementNS(SVG, "svg");
      svg.setAttribute("viewBox", "0 0 600 160");
      svg.setAttribute("role", "img");
      [...series.entries()].forEach(([key, values], i) => {
        const line = document.createElementNS(SVG, "polyline");
        line.setAttribute("stroke", COLOURS[i]);
        line.setAttribute(
          "points",
          values
            .map(([x, y]) => ((x - x0) / (x1 - x0 || 1)) * 590 + 5 + "," + (155 - ((y - y0) / (y1 - y0 || 1)) * 150))
            .join(" "),
        );
        const title = document.createElementNS(SVG, "title");
        title.textContent = key;
        line.append(title);
        svg.append(line);
      });
      figure.append(svg);
      figure.dataset.points = String(points.length);
    })
    .catch((error) => {
      figure.dataset.points = "error";
      console.error("chart failed", error);
    });
}`;
}
