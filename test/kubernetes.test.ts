import { copyFileSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { ScaledObject, TriggerAuthentication } from "@kubernetes-models/keda/keda.sh/v1alpha1";
import {
  Kafka,
  KafkaNodePool,
  KafkaTopic,
  KafkaUser,
} from "@kubernetes-models/strimzi-kafka-operator/kafka.strimzi.io/v1";
import { topicsFor } from "@stadtfluss/kafka";
import { repositoryRoot } from "@stadtfluss/testing";
import { Deployment } from "kubernetes-models/apps/v1";
import { CronJob, Job } from "kubernetes-models/batch/v1";
import { Ingress, NetworkPolicy } from "kubernetes-models/networking.k8s.io/v1";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1";
import { ConfigMap, Namespace, PersistentVolumeClaim, Service } from "kubernetes-models/v1";
import { afterAll, describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { undocumentedSettings } from "./documented-settings.ts";
import {
  createNamedFiles,
  deployedServices,
  hostEnvironment,
  loadWorkerConfig,
  removeStandIns,
  standInFolder,
} from "./worker-config.ts";

const root = repositoryRoot();
const folder = join(root, "infra/kubernetes");

interface Manifest {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string };
  readonly spec?: Record<string, unknown>;
  readonly data?: Record<string, string>;
  readonly file: string;
}

/** Each kind's model: its JSON schema (Kubernetes', Strimzi's or KEDA's CRD) validates a document. */
const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  "v1/Namespace": Namespace,
  "v1/ConfigMap": ConfigMap,
  "v1/Service": Service,
  "v1/PersistentVolumeClaim": PersistentVolumeClaim,
  "networking.k8s.io/v1/Ingress": Ingress,
  "networking.k8s.io/v1/NetworkPolicy": NetworkPolicy,
  "policy/v1/PodDisruptionBudget": PodDisruptionBudget,
  "apps/v1/Deployment": Deployment,
  "batch/v1/CronJob": CronJob,
  "batch/v1/Job": Job,
  "kafka.strimzi.io/v1/Kafka": Kafka,
  "kafka.strimzi.io/v1/KafkaNodePool": KafkaNodePool,
  "kafka.strimzi.io/v1/KafkaTopic": KafkaTopic,
  "kafka.strimzi.io/v1/KafkaUser": KafkaUser,
  "keda.sh/v1alpha1/ScaledObject": ScaledObject,
  "keda.sh/v1alpha1/TriggerAuthentication": TriggerAuthentication,
};

const kustomization = readYaml("kustomization.yaml") as {
  resources: string[];
  configMapGenerator: { files: string[] }[];
  images: { name: string }[];
};
const manifests: Manifest[] = kustomization.resources.flatMap((file) =>
  parseAllDocuments(readFileSync(join(folder, file), "utf8")).map((doc) => ({ ...(doc.toJS() as Manifest), file })),
);
const ofKind = (kind: string) => manifests.filter((m) => m.kind === kind);
const named = (kind: string, name: string) => {
  const found = ofKind(kind).find((m) => m.metadata.name === name);
  if (!found) throw new Error(`no ${kind} ${name}`);
  return found;
};

function readYaml(file: string): unknown {
  const [doc] = parseAllDocuments(readFileSync(join(folder, file), "utf8"));
  return doc?.toJS();
}

interface Container {
  name: string;
  image: string;
  args?: string[];
  envFrom?: { configMapRef: { name: string } }[];
  env?: { name: string; value: string }[];
  ports?: { name: string; containerPort: number }[];
  securityContext: Record<string, unknown>;
  livenessProbe?: { httpGet: { path: string } };
  readinessProbe?: { httpGet: { path: string } };
  volumeMounts?: { name: string; mountPath: string }[];
}
interface Volume {
  name: string;
  configMap?: { name: string };
  secret?: { secretName: string; items?: { key: string; path: string }[] };
  persistentVolumeClaim?: { claimName: string };
  emptyDir?: Record<string, unknown>;
}
interface Pod {
  securityContext: Record<string, unknown>;
  containers: Container[];
  volumes?: Volume[];
}
const podOf = (m: Manifest) =>
  (m.kind === "CronJob"
    ? (m.spec as { jobTemplate: { spec: { template: { spec: unknown } } } }).jobTemplate.spec.template.spec
    : (m.spec as { template: { spec: unknown } }).template.spec) as Pod;
const workloads = () => [...ofKind("Deployment"), ...ofKind("CronJob"), ...ofKind("Job")];
/** The service a container runs: its image is `stadtfluss-<service>`. */
const serviceOf = (container: Container) => container.image.replace(/^stadtfluss-/, "");

/**
 * A container's environment as its worker would see it here: its ConfigMaps, then
 * its own env; the registry ConfigMap's files where it is mounted, and stand-in
 * folders for Secrets and volumes, whose named files hold a placeholder credential.
 */
function containerEnvironment(pod: Pod, container: Container): Record<string, string> {
  const environment = settingsOf(container);
  const standIn = standInFolder();
  const mounts = (container.volumeMounts ?? []).map(({ name, mountPath }) => {
    const volume = pod.volumes?.find((v) => v.name === name);
    const host = join(standIn, name);
    if (volume?.configMap?.name === "stadtfluss-registry") {
      mkdirSync(host);
      for (const file of kustomization.configMapGenerator.flatMap((g) => g.files))
        copyFileSync(join(folder, file), join(host, basename(file)));
    }
    return [mountPath, host] as const;
  });
  const mapped = hostEnvironment(environment, mounts);
  createNamedFiles(mapped, standIn);
  return mapped;
}

describe("the Kubernetes manifests (infra/kubernetes)", () => {
  afterAll(removeStandIns);

  it("lists every manifest file in the kustomization, and every file it names exists", () => {
    const files = readdirSync(folder).filter((f) => f.endsWith(".yaml") && f !== "kustomization.yaml");
    expect([...kustomization.resources].sort()).toEqual(files.sort());
    for (const file of kustomization.configMapGenerator.flatMap((g) => g.files))
      expect(() => readFileSync(join(folder, file))).not.toThrow();
  });

  it("is valid against the schemas of Kubernetes, Strimzi and KEDA", () => {
    expect(manifests.length).toBeGreaterThan(10);
    for (const manifest of manifests) {
      const { file, ...document } = manifest;
      const Model = MODELS[`${document.apiVersion}/${document.kind}`];
      expect(Model, `${file}: ${document.apiVersion} ${document.kind}`).toBeDefined();
      if (Model)
        expect(() => new Model(document as never).validate(), `${file}: ${document.metadata.name}`).not.toThrow();
    }
  });

  it("runs every container as an unprivileged user on a read-only root filesystem, probed on /healthz and /readyz", () => {
    const images = new Set(kustomization.images.map((i) => i.name));
    for (const workload of workloads()) {
      const pod = podOf(workload);
      expect(pod.securityContext, workload.metadata.name).toMatchObject({ runAsNonRoot: true, runAsUser: 1000 });
      for (const container of pod.containers) {
        expect(images.has(container.image), `${container.image} has an entry under images`).toBe(true);
        expect(container.securityContext).toMatchObject({
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          capabilities: { drop: ["ALL"] },
        });
        if (workload.kind === "Deployment") {
          expect(container.livenessProbe?.httpGet.path).toBe("/healthz");
          expect(container.readinessProbe?.httpGet.path).toBe("/readyz");
        }
      }
    }
  });

  it("names only settings the workers know, in the spelling their READMEs and docs/settings.md use", () => {
    const names = [
      ...ofKind("ConfigMap")
        .filter((m) => m.metadata.name !== "stadtfluss-registry")
        .flatMap((m) => Object.keys(m.data ?? {})),
      ...workloads().flatMap((w) => podOf(w).containers.flatMap((c) => (c.env ?? []).map((e) => e.name))),
    ];
    expect(names.length).toBeGreaterThan(10);
    expect(undocumentedSettings(names)).toEqual([]);
  });

  it("scales the normalizer and the writer on their own group's lag, never beyond their topic's partitions", () => {
    const prefix = named("ConfigMap", "stadtfluss-kafka").data?.KAFKA_TOPIC_PREFIX ?? "";
    const topics = topicsFor(prefix);
    const expected = {
      normalizer: { group: "stadtfluss-normalizer", topic: topics.raw },
      "influx-writer": { group: "stadtfluss-influx-writer", topic: topics.observations },
    };
    expect(
      ofKind("ScaledObject")
        .map((s) => s.metadata.name)
        .sort(),
    ).toEqual(Object.keys(expected).sort());
    for (const [service, { group, topic }] of Object.entries(expected)) {
      const scaled = named("ScaledObject", service).spec as {
        scaleTargetRef: { name: string };
        maxReplicaCount: number;
        triggers: { type: string; metadata: Record<string, string> }[];
      };
      expect(named("Deployment", scaled.scaleTargetRef.name).metadata.name).toBe(service);
      expect(scaled.triggers).toEqual([
        expect.objectContaining({ type: "kafka", metadata: expect.objectContaining({ consumerGroup: group, topic }) }),
      ]);
      const partitions = (named("KafkaTopic", topic).spec as { partitions: number }).partitions;
      expect(scaled.maxReplicaCount).toBeLessThanOrEqual(partitions);
      // The group's name is the worker's default, unless the Deployment sets another.
      const container = podOf(named("Deployment", service)).containers[0];
      expect(container?.env?.find((e) => e.name === "KAFKA_GROUP_ID")?.value ?? group).toBe(group);
    }
  });

  it("declares every topic the workers use, replicated so that one broker may be down", async () => {
    const prefix = named("ConfigMap", "stadtfluss-kafka").data?.KAFKA_TOPIC_PREFIX ?? "";
    const { leaseTopic } = await aggregatorConfig();
    // Only partition 0 of the lease topic counts.
    expect((named("KafkaTopic", leaseTopic).spec as { partitions: number }).partitions).toBe(1);
    for (const topic of [...Object.values(topicsFor(prefix)), leaseTopic]) {
      const spec = named("KafkaTopic", topic).spec as { replicas: number; config: Record<string, unknown> };
      expect(spec.replicas, topic).toBe(3);
      expect(spec.config["min.insync.replicas"], topic).toBe(2);
    }
    const kafka = named("Kafka", "stadtfluss").spec as { kafka: { config: Record<string, unknown> } };
    expect(kafka.kafka.config["auto.create.topics.enable"]).toBe(false);
  });

  it("runs every deployed service", () => {
    const services = workloads().flatMap((w) => podOf(w).containers.map(serviceOf));
    expect([...new Set(services)].sort()).toEqual(deployedServices());
  });

  it("passes every container's environment through its worker's own settings check", async () => {
    for (const workload of workloads()) {
      const pod = podOf(workload);
      for (const container of pod.containers) {
        const { problems } = await loadWorkerConfig(serviceOf(container), containerEnvironment(pod, container));
        expect(problems, `${workload.kind} ${workload.metadata.name}`).toEqual([]);
      }
    }
    // A setting pointing at a file nobody mounts is refused, so the check can fail.
    const pod = podOf(named("Deployment", "open-data-api"));
    const [container] = pod.containers;
    if (!container) throw new Error("no container");
    const unmounted = { ...containerEnvironment(pod, container), OPEN_DATA_DECLARATION: "/etc/nowhere" };
    expect((await loadWorkerConfig("open-data-api", unmounted)).problems).not.toEqual([]);
  });

  it("takes credentials from mounted Secrets only, and every Secret's file a setting names is mounted", () => {
    expect(ofKind("Secret")).toEqual([]);
    for (const workload of workloads()) {
      const pod = podOf(workload);
      for (const container of pod.containers) {
        const settings = settingsOf(container);
        expect(
          Object.keys(settings).filter((name) => /(PASSWORD|TOKEN|SECRET)$/.test(name)),
          workload.metadata.name,
        ).toEqual([]);
        const mounted = (container.volumeMounts ?? []).map((m) => m.mountPath);
        for (const file of Object.values(settings))
          for (const [path] of file.matchAll(/\/var\/run\/secrets\/[^"'\s,]+/g))
            expect(
              mounted.some((m) => path.startsWith(`${m}/`)),
              `${workload.metadata.name}: ${path}`,
            ).toBe(true);
      }
    }
  });

  it("gives the aggregator a Kafka user of its own, allowed its lease group and topic only", async () => {
    const { groupId, leaseTopic } = await aggregatorConfig();
    const pod = podOf(named("Deployment", "aggregator"));
    const container = pod.containers[0];
    const user = container?.env?.find((e) => e.name === "KAFKA_SASL_USERNAME")?.value ?? "";
    const spec = named("KafkaUser", user).spec as {
      authorization: {
        acls: { resource: { type: string; name: string; patternType: string }; operations: string[] }[];
      };
    };
    expect(spec.authorization.acls.map((acl) => acl.resource).sort((a, b) => a.type.localeCompare(b.type))).toEqual([
      { type: "group", name: groupId, patternType: "literal" },
      { type: "topic", name: leaseTopic, patternType: "literal" },
    ]);
    for (const acl of spec.authorization.acls) expect(acl.operations.sort()).toEqual(["Describe", "Read"]);
    // Strimzi writes the user's password into a Secret of the user's name.
    expect(pod.volumes?.find((v) => v.name === "kafka-user")?.secret?.secretName).toBe(user);
    // More replicas wait for the lease; the group, not the replica count, keeps roll-ups single.
    expect((named("Deployment", "aggregator").spec as { replicas: number }).replicas).toBeGreaterThanOrEqual(1);
  });

  it("routes each API through the TLS ingress to the port it listens on", async () => {
    const ingress = named("Ingress", "stadtfluss-apis").spec as {
      tls: { hosts: string[] }[];
      rules: { host: string; http: { paths: { backend: { service: { name: string; port: { name: string } } } }[] } }[];
    };
    const secured = ingress.tls.flatMap((t) => t.hosts);
    const apis: string[] = [];
    for (const deployment of ofKind("Deployment")) {
      const pod = podOf(deployment);
      const [container] = pod.containers;
      if (!container) continue;
      const { config } = await loadWorkerConfig(serviceOf(container), containerEnvironment(pod, container));
      const http = (config as { http?: { port: number } } | undefined)?.http;
      if (!http) continue;
      apis.push(deployment.metadata.name);
      expect(container.ports).toContainEqual({ name: "http", containerPort: http.port });
      const service = named("Service", deployment.metadata.name).spec as {
        selector: Record<string, string>;
        ports: { name: string; targetPort: string }[];
      };
      expect(service.selector).toEqual(
        (deployment.spec as { selector: { matchLabels: unknown } }).selector.matchLabels,
      );
      expect(service.ports).toContainEqual(expect.objectContaining({ name: "http", targetPort: "http" }));
      const rule = ingress.rules.find((r) =>
        r.http.paths.some((p) => p.backend.service.name === deployment.metadata.name),
      );
      expect(rule, deployment.metadata.name).toBeDefined();
      expect(secured).toContain(rule?.host);
    }
    expect(apis.sort()).toEqual(["meter-data-api", "open-data-api"]);
  });

  it("runs the Grafana provisioner's apply once, with the readers' credentials mounted", () => {
    const pod = podOf(named("Job", "grafana-provisioner"));
    const [container] = pod.containers;
    expect(container?.args?.slice(0, 1)).toEqual(["apply"]);
    const credentials = container?.args?.[(container.args.indexOf("--credentials-dir") ?? -2) + 1];
    expect(container?.volumeMounts?.map((m) => m.mountPath)).toContain(credentials);
    // The declaration's grafana section is part of the registry ConfigMap.
    expect(kustomization.configMapGenerator.flatMap((g) => g.files).map((f) => basename(f))).toContain("grafana.yaml");
  });
});

describe("the Kubernetes manifests' disruption budgets and network policies", () => {
  afterAll(removeStandIns);

  it("lets a drain take one pod of each long-running worker at a time, never blocking it", () => {
    for (const deployment of ofKind("Deployment")) {
      const { selector } = deployment.spec as { selector: { matchLabels: Labels } };
      const budgets = ofKind("PodDisruptionBudget").filter((b) =>
        matches((b.spec as { selector: Selector }).selector, selector.matchLabels),
      );
      expect(
        budgets.map((b) => b.spec),
        deployment.metadata.name,
      ).toEqual([{ maxUnavailable: 1, selector: { matchLabels: selector.matchLabels } }]);
    }
  });

  it("denies everything in the namespace unless a policy allows it", () => {
    expect(ofKind("NetworkPolicy").map((p) => p.spec)).toContainEqual({
      podSelector: {},
      policyTypes: ["Ingress", "Egress"],
    });
    // With no other policy nothing is allowed, so the checks below can fail.
    const denyOnly = policies().filter((p) => Object.keys(p.spec.podSelector).length === 0);
    for (const server of Object.values(servers())) expect(egressAllowed(denyOnly, {}, server)).toBe(false);
  });

  it("lets each workload reach exactly the servers its own settings name", async () => {
    const all = servers();
    const checked: string[] = [];
    for (const workload of workloads()) {
      const pod = podOf(workload);
      const labels = podLabelsOf(workload);
      for (const container of pod.containers) {
        const { config, problems } = await loadWorkerConfig(serviceOf(container), containerEnvironment(pod, container));
        expect(problems).toEqual([]);
        const named = JSON.stringify(config);
        for (const [server, destination] of Object.entries(all)) {
          const needed = named.includes(destination.address);
          expect(egressAllowed(policies(), labels, destination), `${workload.metadata.name} → ${server}`).toBe(needed);
          if (needed) checked.push(`${workload.metadata.name} → ${server}`);
        }
      }
    }
    // The rule of the issue, as a floor under what the settings say.
    expect(checked).toEqual(
      expect.arrayContaining(["mqtt-bridge → mqtt", "influx-writer → influx", "normalizer → kafka"]),
    );
    expect(checked.filter((c) => c.endsWith("→ mqtt"))).toEqual(["mqtt-bridge → mqtt"]);
  });

  it("admits to Kafka's listener the workers that use Kafka, and KEDA", async () => {
    const kafka = named("Kafka", "stadtfluss").spec as {
      kafka: { listeners: { networkPolicyPeers?: Peer[] }[] };
    };
    const peers = kafka.kafka.listeners.flatMap((l) => l.networkPolicyPeers ?? []);
    const broker = servers().kafka;
    for (const workload of workloads()) {
      const pod = podOf(workload);
      const needs = (
        await Promise.all(pod.containers.map((c) => loadWorkerConfig(serviceOf(c), containerEnvironment(pod, c))))
      ).some(({ config }) => JSON.stringify(config).includes(broker.address));
      const admitted = peers.some((peer) => peerMatches(peer, NAMESPACE, podLabelsOf(workload)));
      expect(admitted, workload.metadata.name).toBe(needs);
    }
    expect(peers.some((peer) => peerMatches(peer, "keda", { app: "keda-operator" }))).toBe(true);
  });

  it("takes HTTP requests for the APIs from the ingress controller only", () => {
    const api = ofKind("Ingress").flatMap((i) =>
      (i.spec as { rules: { http: { paths: { backend: { service: { name: string } } }[] } }[] }).rules.flatMap((r) =>
        r.http.paths.map((p) => p.backend.service.name),
      ),
    );
    expect(api.length).toBeGreaterThan(0);
    const controller = { namespace: "ingress-nginx", labels: {} };
    for (const deployment of ofKind("Deployment")) {
      const labels = podLabelsOf(deployment);
      const http = podOf(deployment)
        .containers.flatMap((c) => c.ports ?? [])
        .find((p) => p.name === "http");
      const port = http?.containerPort ?? 8080;
      expect(ingressAllowed(policies(), labels, controller, port), deployment.metadata.name).toBe(
        api.includes(deployment.metadata.name),
      );
      // Not from another pod of the namespace.
      expect(ingressAllowed(policies(), labels, { namespace: NAMESPACE, labels: {} }, port)).toBe(false);
    }
  });
});

const NAMESPACE = "stadtfluss";
type Labels = Readonly<Record<string, string>>;
interface Selector {
  matchLabels?: Labels;
  matchExpressions?: { key: string; operator: "In" | "NotIn" | "Exists" | "DoesNotExist"; values?: string[] }[];
}
interface Peer {
  podSelector?: Selector;
  namespaceSelector?: Selector;
  ipBlock?: unknown;
}
interface PolicyPort {
  protocol?: string;
  port?: number | string;
}
interface Policy {
  podSelector: Selector;
  policyTypes: ("Ingress" | "Egress")[];
  ingress?: { from?: Peer[]; ports?: PolicyPort[] }[];
  egress?: { to?: Peer[]; ports?: PolicyPort[] }[];
}
/** A server as a pod of some namespace sees it: where it runs and the address the settings name. */
interface Destination {
  address: string;
  namespace: string;
  labels: Labels;
  port: number;
}

const policies = () => ofKind("NetworkPolicy").map((p) => ({ spec: p.spec as unknown as Policy }));

/** A label selector as Kubernetes reads it: every clause must hold; an empty one selects everything. */
function matches(selector: Selector, labels: Labels): boolean {
  const byLabel = Object.entries(selector.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
  const byExpression = (selector.matchExpressions ?? []).every(({ key, operator, values = [] }) => {
    const value = labels[key];
    if (operator === "In") return value !== undefined && values.includes(value);
    if (operator === "NotIn") return value === undefined || !values.includes(value);
    if (operator === "Exists") return value !== undefined;
    return value === undefined;
  });
  return byLabel && byExpression;
}

/** A peer without a namespace selector means the policy's own namespace. */
function peerMatches(peer: Peer, namespace: string, labels: Labels): boolean {
  if (peer.ipBlock) return false;
  const inNamespace = peer.namespaceSelector
    ? matches(peer.namespaceSelector, { "kubernetes.io/metadata.name": namespace })
    : namespace === NAMESPACE;
  return inNamespace && (!peer.podSelector || matches(peer.podSelector, labels));
}

const portMatches = (ports: PolicyPort[] | undefined, port: number) =>
  !ports || ports.some((p) => (p.protocol ?? "TCP") === "TCP" && (p.port === undefined || p.port === port));

function egressAllowed(all: { spec: Policy }[], labels: Labels, to: Destination): boolean {
  return all.some(
    ({ spec }) =>
      spec.policyTypes.includes("Egress") &&
      matches(spec.podSelector, labels) &&
      (spec.egress ?? []).some(
        (rule) =>
          (!rule.to || rule.to.some((peer) => peerMatches(peer, to.namespace, to.labels))) &&
          portMatches(rule.ports, to.port),
      ),
  );
}

function ingressAllowed(
  all: { spec: Policy }[],
  labels: Labels,
  from: { namespace: string; labels: Labels },
  port: number,
): boolean {
  return all.some(
    ({ spec }) =>
      spec.policyTypes.includes("Ingress") &&
      matches(spec.podSelector, labels) &&
      (spec.ingress ?? []).some(
        (rule) =>
          (!rule.from || rule.from.some((peer) => peerMatches(peer, from.namespace, from.labels))) &&
          portMatches(rule.ports, port),
      ),
  );
}

const podLabelsOf = (m: Manifest): Labels =>
  ((m.kind === "CronJob"
    ? (m.spec as { jobTemplate: { spec: { template: { metadata?: { labels?: Labels } } } } }).jobTemplate.spec.template
    : (m.spec as { template: { metadata?: { labels?: Labels } } }).template
  ).metadata?.labels ?? {}) as Labels;

/**
 * The servers the ConfigMaps name, and where each runs: `name.namespace` is a
 * Service in that namespace; the Kafka bootstrap address leads to Strimzi's broker
 * pods in this one, labelled as Strimzi labels them.
 */
function servers(): Record<"kafka" | "influx" | "mqtt" | "grafana", Destination> {
  const data = (name: string) => named("ConfigMap", name).data ?? {};
  const fromUrl = (url: string, labels: Labels = {}): Destination => {
    const { hostname, port } = new URL(url);
    const namespace = hostname.split(".")[1] ?? NAMESPACE;
    return { address: hostname, namespace, labels, port: Number(port) };
  };
  const [broker = ""] = (data("stadtfluss-kafka").KAFKA_BROKERS ?? "").split(",");
  const sources = JSON.parse(data("stadtfluss-mqtt-bridge").MQTT_SOURCES ?? "[]") as { url: string }[];
  return {
    kafka: fromUrl(`kafka://${broker}`, {
      "strimzi.io/cluster": "stadtfluss",
      "strimzi.io/kind": "Kafka",
      "strimzi.io/broker-role": "true",
    }),
    influx: fromUrl(data("stadtfluss-influx").INFLUX_URL ?? ""),
    mqtt: fromUrl(sources[0]?.url ?? ""),
    grafana: fromUrl(data("stadtfluss-grafana").GRAFANA_URL ?? ""),
  };
}

/** Its ConfigMaps' settings, then its own env, as the kubelet sets them. */
function settingsOf(container: Container): Record<string, string> {
  const environment: Record<string, string> = {};
  for (const { configMapRef } of container.envFrom ?? [])
    Object.assign(environment, named("ConfigMap", configMapRef.name).data);
  for (const { name, value } of container.env ?? []) environment[name] = value;
  return environment;
}

async function aggregatorConfig(): Promise<{ groupId: string; leaseTopic: string }> {
  const pod = podOf(named("Deployment", "aggregator"));
  const [container] = pod.containers;
  if (!container) throw new Error("the aggregator has no container");
  const { config, problems } = await loadWorkerConfig("aggregator", containerEnvironment(pod, container));
  if (!config) throw new Error(problems.join("; "));
  return config as { groupId: string; leaseTopic: string };
}
