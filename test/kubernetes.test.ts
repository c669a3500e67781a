import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
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
import { CronJob } from "kubernetes-models/batch/v1";
import { ConfigMap, Namespace } from "kubernetes-models/v1";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { undocumentedSettings } from "./documented-settings.ts";

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
  "apps/v1/Deployment": Deployment,
  "batch/v1/CronJob": CronJob,
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
  envFrom?: { configMapRef: { name: string } }[];
  env?: { name: string; value: string }[];
  securityContext: Record<string, unknown>;
  livenessProbe?: { httpGet: { path: string } };
  readinessProbe?: { httpGet: { path: string } };
}
const podOf = (m: Manifest) =>
  (m.kind === "CronJob"
    ? (m.spec as { jobTemplate: { spec: { template: { spec: unknown } } } }).jobTemplate.spec.template.spec
    : (m.spec as { template: { spec: unknown } }).template.spec) as {
    securityContext: Record<string, unknown>;
    containers: Container[];
  };

describe("the Kubernetes manifests (infra/kubernetes)", () => {
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
    for (const workload of [...ofKind("Deployment"), ...ofKind("CronJob")]) {
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
      ...[...ofKind("Deployment"), ...ofKind("CronJob")].flatMap((w) =>
        podOf(w).containers.flatMap((c) => (c.env ?? []).map((e) => e.name)),
      ),
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

  it("declares every topic the workers use, replicated so that one broker may be down", () => {
    const prefix = named("ConfigMap", "stadtfluss-kafka").data?.KAFKA_TOPIC_PREFIX ?? "";
    for (const topic of Object.values(topicsFor(prefix))) {
      const spec = named("KafkaTopic", topic).spec as { replicas: number; config: Record<string, unknown> };
      expect(spec.replicas, topic).toBe(3);
      expect(spec.config["min.insync.replicas"], topic).toBe(2);
    }
    const kafka = named("Kafka", "stadtfluss").spec as { kafka: { config: Record<string, unknown> } };
    expect(kafka.kafka.config["auto.create.topics.enable"]).toBe(false);
  });
});
