import { randomBytes } from "node:crypto";

/** Topic, group and database names that no other test uses (kafkajs's habit). */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(3).toString("hex")}`;
}
