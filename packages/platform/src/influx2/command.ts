import { StadtflussError } from "@stadtfluss/errors";
import type { DesiredStorage } from "../desired-storage.ts";
import { applyInflux2Plan } from "./apply.ts";
import type { Influx2Config } from "./config.ts";
import { readInflux2State } from "./current-state.ts";
import { describeInflux2Step, type Influx2PlanOptions, planInflux2 } from "./plan.ts";

export interface Influx2CommandOptions {
  readonly allowDestructive: boolean;
  readonly credentialsDir?: string;
  /** Where lines for people go; never given a token or password. */
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
}

/**
 * `pnpm platform plan|apply` against InfluxDB 2.x: prints the plan ("in
 * sync" when empty) or applies it and checks that a plan afterwards is empty.
 * Returns the exit code: 0 done or in sync, 1 refused or failed.
 */
export async function runInflux2Command(
  command: "plan" | "apply",
  config: Influx2Config,
  desired: DesiredStorage,
  options: Influx2CommandOptions,
): Promise<number> {
  const planOptions: Influx2PlanOptions = {
    manages: (name) => !name.startsWith("_") && name.startsWith(config.managedPrefix),
  };
  try {
    const state = await readInflux2State(config.influx);
    const steps = planInflux2(state, desired, planOptions);
    if (steps.length === 0) {
      options.stdout("in sync\n");
      return 0;
    }
    for (const step of steps) options.stdout(`${describeInflux2Step(step)}\n`);
    if (command === "plan") {
      const destructive = steps.filter((step) => step.destructive).length;
      options.stdout(
        `${steps.length} change(s)${destructive > 0 ? `, ${destructive} destructive (apply needs --allow-destructive)` : ""}\n`,
      );
      return 0;
    }
    await applyInflux2Plan(config.influx, state, steps, {
      allowDestructive: options.allowDestructive,
      ...(options.credentialsDir ? { credentialsDir: options.credentialsDir } : {}),
      onStep: (_step, file) => {
        if (file) options.stdout(`  credential written to ${file}\n`);
      },
    });
    const after = planInflux2(await readInflux2State(config.influx), desired, planOptions);
    if (after.length > 0)
      throw new StadtflussError(`still not in sync after apply: ${after.map(describeInflux2Step).join("; ")}`);
    options.stdout(`applied ${steps.length} change(s); in sync\n`);
    return 0;
  } catch (error) {
    options.stderr(`platform: ${(error as Error).message}\n`);
    return 1;
  }
}
