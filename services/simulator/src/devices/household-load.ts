import { localTime } from "../calendar/local-time.ts";
import { h0Power, h0Segments } from "../load-profiles/h0-profile.ts";
import { between } from "../random.ts";

/** What makes one household differ from the average H0 household. */
export interface HouseholdTraits {
  readonly annualKWh: number;
  /** Whole quarter hours this household lives ahead (+) or behind (-) the profile. */
  readonly shiftQuarters: number;
  /** Share of the load on L1, L2, L3 (sums to 1). */
  readonly phaseShares: readonly [number, number, number];
  /** Grid voltage at the connection without load, V. */
  readonly voltage: number;
}

export function householdTraits(random: () => number): HouseholdTraits {
  const weights = [between(random, 1, 3), between(random, 0.5, 2), between(random, 0.3, 1.5)] as const;
  const sum = weights[0] + weights[1] + weights[2];
  return {
    // Single flats use 1,500 kWh a year, families 5,000 and more.
    annualKWh: Math.round(between(random, 1_500, 5_500)),
    shiftQuarters: Math.floor(random() * 7) - 3,
    phaseShares: [weights[0] / sum, weights[1] / sum, weights[2] / sum],
    voltage: between(random, 227, 234),
  };
}

export interface HouseholdReading {
  /** W drawn now. */
  readonly power: number;
  readonly phasePower: readonly [number, number, number];
  readonly voltage: readonly [number, number, number];
  readonly current: readonly [number, number, number];
  /** Wh, meter total: tariff 1 + tariff 2. */
  readonly importWh: number;
  /** Wh on tariff 1 (low, 22:00-06:00) and tariff 2 (normal). */
  readonly importTariffWh: readonly [number, number];
  readonly tariff: 1 | 2;
}

const QUARTER_MS = 15 * 60_000;

/**
 * The tariff a Dutch-style two-rate meter counts on: tariff 1 ("dal", low) from
 * 22:00 to 06:00 local time every day, tariff 2 ("normaal") otherwise. DSMR
 * meters follow the supplier's switching signal; this fixed window is ours.
 */
export function tariffAt(localHour: number): 1 | 2 {
  return localHour >= 22 || localHour < 6 ? 1 : 2;
}

/**
 * One household's electricity: power follows the BDEW H0 profile scaled to the
 * household's annual consumption, with the household's own timing and a
 * per-reading variation (mean 1) so that no two meters look alike; the
 * registers integrate exactly that power, so they only rise and add up to the
 * annual consumption over a year.
 */
export function householdLoad(traits: HouseholdTraits, random: () => number) {
  const shiftMs = traits.shiftQuarters * QUARTER_MS;
  // A meter installed some years ago; about a third of the energy on the low tariff.
  const startWh = traits.annualKWh * 1000 * between(random, 0.3, 6);
  let lowWh = startWh * 0.35;
  let normalWh = startWh * 0.65;
  let last: number | undefined;

  return {
    traits,
    read(at: Date, rnd: () => number): HouseholdReading {
      const t = at.getTime();
      const variation = 0.75 + 0.5 * rnd();
      if (last !== undefined && t > last) {
        for (const segment of h0Segments(last - shiftMs, t - shiftMs)) {
          const wh =
            (((segment.watts * traits.annualKWh) / 1000) * variation * (segment.to - segment.from)) / 3_600_000;
          if (tariffAt(localTime(new Date(segment.from + shiftMs)).hour) === 1) lowWh += wh;
          else normalWh += wh;
        }
      }
      if (last === undefined || t > last) last = t;

      const power = ((h0Power(new Date(t - shiftMs)) * traits.annualKWh) / 1000) * variation;
      const phasePower = traits.phaseShares.map((share) => power * share * between(rnd, 0.9, 1.1)) as [
        number,
        number,
        number,
      ];
      // The line drops a little under load; the grid wanders by a volt or two.
      const voltage = phasePower.map((w, i) => traits.voltage + (i - 1) * 0.8 - w / 2500 + between(rnd, -0.5, 0.5)) as [
        number,
        number,
        number,
      ];
      const current = phasePower.map((w, i) => w / (voltage[i] ?? 230)) as [number, number, number];
      return {
        power,
        phasePower,
        voltage,
        current,
        importWh: lowWh + normalWh,
        importTariffWh: [lowWh, normalWh],
        tariff: tariffAt(localTime(at).hour),
      };
    },
  };
}

export type HouseholdLoad = ReturnType<typeof householdLoad>;
