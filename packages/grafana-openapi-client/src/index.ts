export {
  type components,
  createGrafanaClient,
  GrafanaApiError,
  type GrafanaClient,
  type GrafanaClientOptions,
  type GrafanaCredential,
  type GrafanaSchemas,
  GrafanaUnreachableError,
  grafanaData,
  grafanaVersion,
  type operations,
  type paths,
} from "./client.ts";
