import { dayOfYear, localTime } from "../calendar/local-time.ts";
import { sensorCommunity } from "../formats/sensor-community.ts";
import { between, normal } from "../random.ts";
import { stationPressure, townWeather } from "../weather/town-weather.ts";
import type { SimulatedDevice } from "./device.ts";
import { PEAK_TRAFFIC_INTENSITY, trafficIntensity } from "./traffic-rhythm.ts";

export interface AirSensorSite {
  readonly esp8266id: string;
  readonly altitude: number;
  /** µg/m³ PM10 added at the weekday morning peak: high beside a main road, low in a back garden. */
  readonly trafficExposure: number;
  /** °C the site runs warmer than the town (heat island, a sunny wall). */
  readonly warmth: number;
}

/**
 * A citizen's airrohr station (SDS011 + BME280) in the sensor.community format.
 * PM follows a seasonal background (heating in winter), traffic's morning and
 * evening peaks, and night-time inversions that trap it near the ground when
 * the wind is calm; the SDS011 over-reads in humid air, as it does outdoors.
 * Temperature has a daily cycle; the BME280 inside the pipe warms in the sun.
 */
export function airQualitySensor(site: AirSensorSite): SimulatedDevice {
  return {
    resolutionMs: 1000,
    next(at, random) {
      const weather = townWeather(at);
      const local = localTime(at);
      const winter = Math.cos((2 * Math.PI * (dayOfYear(local) - 15)) / 365.25);
      const background = 17 + 7 * winter;
      const inversion = 1 + 0.9 * weather.night * Math.max(0, 1 - weather.windSpeed / 4) * (1 + 0.5 * winter);
      const dilution = 3 / (2 + weather.windSpeed);
      const traffic = (site.trafficExposure * trafficIntensity(local)) / PEAK_TRAFFIC_INTENSITY;
      const pm10True = Math.max(1, (background * inversion + traffic) * dilution * (1 + 0.12 * normal(random)));
      // Heating smoke and night-time aerosol are finer than road dust.
      const fineShare = 0.55 + 0.075 * winter + 0.1 * weather.night;
      const growth = 1 + 0.8 * Math.max(0, (weather.humidity - 75) / 25) ** 2;
      const daylight = Math.max(0, Math.sin((Math.PI * (local.hour - 6)) / 14));
      const temperature =
        weather.temperature + site.warmth + 1.5 * daylight * (1 - 0.5 * winter) + 0.1 * normal(random);
      const humidity = Math.min(
        99.9,
        Math.max(5, weather.humidity - 3 * (temperature - weather.temperature) + normal(random)),
      );
      return sensorCommunity({
        esp8266id: site.esp8266id,
        softwareVersion: "NRZ-2020-133",
        pm10: pm10True * growth,
        pm2_5: pm10True * fineShare * growth,
        temperature,
        humidity,
        pressure: stationPressure(weather.seaLevelPressure, site.altitude) * 100 + 5 * normal(random),
        samples: between(random, 4_800_000, 5_200_000),
        minMicro: between(random, 25, 40),
        maxMicro: between(random, 19_000, 22_000),
        interval: 145_000,
        signal: between(random, -82, -58),
      });
    },
  };
}
